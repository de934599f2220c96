import type { Transport } from "../core/transport.ts";
import { consoleLogger, type Logger } from "../internal/logger.ts";

/**
 * Accept errors that concern the one connection being taken, not the
 * listener: the client reset or aborted it while it waited in the backlog
 * (Deno then fails with ENOTCONN, os error 107), or a network error was
 * pending on it. accept(2) asks to treat these like EAGAIN and accept again.
 */
const CONNECTION_CODES = new Set([
  "ECONNABORTED",
  "ECONNRESET",
  "ENOTCONN",
  "EPROTO",
  "EPERM", // a firewall rule refused this connection
  "ETIMEDOUT",
  "ENETDOWN",
  "ENETUNREACH",
  "EHOSTDOWN",
  "EHOSTUNREACH",
  "ENONET",
  "ENOPROTOOPT",
  "EOPNOTSUPP",
  "EAGAIN",
  "EWOULDBLOCK",
  "EINTR",
]);

/** The same, as Deno names its errors (which carry no code in some versions). */
const CONNECTION_NAMES = new Set([
  "ConnectionAborted",
  "ConnectionReset",
  "NotConnected",
  "TimedOut",
  "Interrupted",
  "WouldBlock",
  // A TLS client's failure, should a runtime report it at accept rather than at the handshake.
  "UnexpectedEof",
  "InvalidData",
]);

/**
 * Whether a failed accept lost only that connection (skip it at once and
 * silently) rather than being a failure of the listener itself (out of file
 * descriptors or memory: back off).
 */
export function isConnectionAcceptError(error: unknown): boolean {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  return (typeof code === "string" && CONNECTION_CODES.has(code)) ||
    (typeof name === "string" && CONNECTION_NAMES.has(name));
}

/** The first and the longest pause after a listener-level accept failure. */
export const ACCEPT_BACKOFF_MIN_MS = 10;
/** See {@linkcode ACCEPT_BACKOFF_MIN_MS}. */
export const ACCEPT_BACKOFF_MAX_MS = 1_000;

/**
 * What a listener does about failed accepts. One that lost a single
 * connection is forgotten at once: pausing then would let the backlog grow
 * and more queued clients reset, a stall that feeds itself. A failure of the
 * listener (EMFILE, ENFILE, ENOBUFS, ENOMEM, or anything unknown) makes it
 * pause, doubling from 10 ms to 1 s while failures go on, and is reported in
 * one line when a run of them begins.
 */
export class AcceptFailures {
  #pauseMs = 0;
  readonly #logger: Logger;

  /** Reports to `logger` (default: the console). */
  constructor(logger: Logger = consoleLogger) {
    this.#logger = logger;
  }

  /** A failed accept: how long to wait before the next (0: accept again at once). */
  failed(error: unknown): number {
    if (isConnectionAcceptError(error)) return 0;
    if (this.#pauseMs === 0) {
      this.#logger.error(`accept failed, backing off: ${describe(error)}`);
      this.#pauseMs = ACCEPT_BACKOFF_MIN_MS;
    } else {
      this.#pauseMs = Math.min(this.#pauseMs * 2, ACCEPT_BACKOFF_MAX_MS);
    }
    return this.#pauseMs;
  }

  /** A connection was accepted: a run of failures, if any, is over. */
  succeeded(): void {
    this.#pauseMs = 0;
  }
}

/** An error in one line: its message, with its code when the message lacks it. */
function describe(error: unknown): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Hands an accepted connection to the listener's callback. One that throws
 * (a bug in it) is reported and loses that connection, which is aborted, not
 * the listener.
 */
export function handOver<T extends Transport & { abort(): void }>(
  accept: (transport: Transport) => void,
  transport: T,
  logger: Logger = consoleLogger,
): void {
  try {
    accept(transport);
  } catch (error) {
    logger.error("accept callback failed", error);
    transport.abort();
  }
}
