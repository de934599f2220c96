/**
 * Errors raised on a connection.
 *
 * @module
 */

/**
 * The connection is closed (by us, by the peer, or by a failure), so the
 * operation cannot happen. `reason` says why.
 *
 * @example
 * ```ts
 * import { ConnectionClosedError } from "@hussar/core/core";
 * const error = new ConnectionClosedError("peer reset");
 * console.log(error.message); // connection closed: peer reset
 * ```
 */
export class ConnectionClosedError extends Error {
  /** Why the connection closed. */
  readonly reason: string;

  /** Creates the error for a connection closed because of `reason`. */
  constructor(reason: string, options?: ErrorOptions) {
    super(`connection closed: ${reason}`, options);
    this.name = "ConnectionClosedError";
    this.reason = reason;
  }
}

/**
 * A deadline set on the connection's descriptor passed. The thread gets it
 * from its pending or next read or write, and has a short grace period to
 * answer (for example with 408) before the core closes the connection.
 *
 * @example
 * ```ts
 * import { DeadlineError } from "@hussar/core/core";
 * const error = new DeadlineError("headers timeout");
 * console.log(error.reason);
 * ```
 */
export class DeadlineError extends Error {
  /** The reason given with the deadline. */
  readonly reason: string;

  /** Creates the error for the deadline set with `reason`. */
  constructor(reason: string) {
    super(`deadline passed: ${reason}`);
    this.name = "DeadlineError";
    this.reason = reason;
  }
}
