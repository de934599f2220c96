/**
 * Errors raised by the sources.
 *
 * @module
 */
import { addressText } from "./_options.ts";

/** Where a failed listen was asked to listen, and why it failed. */
export interface ListenErrorOptions extends ErrorOptions {
  /**
   * The system error code (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`,
   * `ENOENT`, `ENOTFOUND`, ...), `ERR_TLS_INVALID_MATERIAL` when the TLS
   * certificate or key could not be used, `UNKNOWN` otherwise.
   */
  code: string;
  /** The TCP address asked for (absent for a Unix socket). */
  hostname?: string;
  /** The TCP port asked for (absent for a Unix socket). */
  port?: number;
  /** The Unix socket path asked for (absent for TCP). */
  path?: string;
}

/**
 * A listening socket could not be opened: the address is taken, not
 * available, not allowed (Deno without `--allow-net`, a port below 1024
 * without the privilege), or the TLS material is unusable. `code` says which
 * the same way on every runtime, `address` where, and `cause` is the
 * runtime's own error.
 *
 * @example
 * ```ts
 * import { listen, ListenError } from "@hussar/core/sources";
 * const taken = await listen({ hostname: "127.0.0.1", port: 0 });
 * try {
 *   await listen({ hostname: "127.0.0.1", port: taken.addr.port });
 * } catch (error) {
 *   if (!(error instanceof ListenError)) throw error;
 *   console.log(error.code, error.address); // EADDRINUSE 127.0.0.1:<port>
 * } finally {
 *   await taken.close();
 * }
 * ```
 */
export class ListenError extends Error {
  /** Why, as a code: `EADDRINUSE`, `EACCES`, ..., see {@linkcode ListenErrorOptions.code}. */
  readonly code: string;
  /** Where, as written in the message: `127.0.0.1:8000`, `[::1]:8000` or `unix:/run/app.sock`. */
  readonly address: string;
  /** The TCP address asked for (absent for a Unix socket). */
  declare readonly hostname?: string;
  /** The TCP port asked for (absent for a Unix socket). */
  declare readonly port?: number;
  /** The Unix socket path asked for (absent for TCP). */
  declare readonly path?: string;

  /** Creates the error; `message` should name the address and the cause. */
  constructor(message: string, options: ListenErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ListenError";
    this.code = options.code;
    this.address = addressText(options);
    // Only what applies, so that a logged error shows no `undefined` fields.
    if (options.path !== undefined) this.path = options.path;
    else {
      if (options.hostname !== undefined) this.hostname = options.hostname;
      if (options.port !== undefined) this.port = options.port;
    }
  }
}
