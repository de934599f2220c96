import type { NetAddress } from "../core/transport.ts";
import type { HttpServerOptions } from "../httputil/server.ts";
import type { Logger } from "../internal/logger.ts";
import type { Scheduler } from "../scheduler/mod.ts";

export type { Logger } from "../internal/logger.ts";

/**
 * What a fetch handler learns about the request beyond the `Request`.
 * Outside worker mode its fields are getters of its class, as in
 * `Deno.serve`'s: `{ ...info }` copies none of them; name the ones to pass on.
 *
 * @example
 * ```ts
 * import type { ServeHandlerInfo } from "@hussar/core";
 * function log(info: ServeHandlerInfo): void {
 *   const { hostname } = info.remoteAddr; // read now: on Bun and Node, a closed socket no longer has it
 *   info.completed.then(() => console.log(`answered ${hostname}`), () => {});
 * }
 * console.log(typeof log);
 * ```
 */
export interface ServeHandlerInfo {
  /**
   * The client's address. On Bun and Node it is read from the socket when
   * first asked, and is the unknown address (`""`, port 0) if that is only
   * once the connection is gone.
   */
  readonly remoteAddr: NetAddress;
  /** The server's address for this connection. */
  readonly localAddr: NetAddress;
  /** Settles when the response was fully written (fulfils) or could not be (rejects). */
  readonly completed: Promise<void>;
}

/**
 * A fetch-style handler: a Web `Request` in, a `Response` (or a Promise of
 * one) out.
 */
export type FetchHandler = (
  request: Request,
  info: ServeHandlerInfo,
) => Response | Promise<Response>;

/** TLS material, PEM-encoded. */
export interface TlsOptions {
  /** Certificate chain (PEM). */
  cert: string;
  /** Private key (PEM). */
  key: string;
}

/**
 * Options of {@linkcode serve}: those of `Deno.serve`/`Bun.serve` where they
 * exist, plus the engine's limits and timeouts (see {@linkcode HttpServerOptions}).
 * `serve()` refuses a key it does not know with a TypeError that names it.
 */
export interface ServeOptions extends Omit<HttpServerOptions, "onError" | "shutdown" | "logger"> {
  /** The handler (may also be given as `handler` or as `serve`'s second argument). */
  fetch?: FetchHandler;
  /** `fetch` under the name `Deno.serve` gives it; give one of the two. */
  handler?: FetchHandler;
  /**
   * TCP port (default 8000; 0 picks a free one): a number, or its decimal
   * digits as a string, such as `process.env.PORT`.
   */
  port?: number | string;
  /** Address to listen on (default "0.0.0.0"). */
  hostname?: string;
  /** Listen on this Unix socket instead of TCP. */
  path?: string;
  /** Serve HTTPS with this certificate and key. */
  tls?: TlsOptions;
  /**
   * Speak HTTP/2 too (default true): on TLS, ALPN offers `h2` before
   * `http/1.1`; in cleartext, a connection that opens with the HTTP/2
   * preface (prior knowledge) is served over HTTP/2. `false` keeps every
   * connection on HTTP/1.1. The same in worker mode, where the workers run
   * the HTTP/2 session and each stream reaches the handler as a shuttle.
   */
  http2?: boolean;
  /** Share the port with other listeners (Deno and Bun on Linux; ignored on Node 20). */
  reusePort?: boolean;
  /** Shut the server down gracefully when this signal aborts. */
  signal?: AbortSignal;
  /** Called once listening (default: says the URL through the logger's `info`). */
  onListen?: (addr: NetAddress) => void;
  /**
   * Turns a handler's error into a response (default: logs it and answers
   * 500). Never crashes the process: if it throws too, that is logged and a
   * plain 500 is sent.
   */
  onError?: (error: unknown) => Response | Promise<Response>;
  /**
   * Where the server says everything else: the address it listens on, the
   * faults it caught and got over (a connection, an accept, a worker), and
   * warnings. `console` will do; `false` says nothing. Default: the console,
   * errors and warnings prefixed `hussar: `.
   */
  logger?: Logger | false;
  /** Scheduler to run on (default: a new one). */
  scheduler?: Scheduler;
  /**
   * Worker mode: this many worker threads own the sockets, parse requests
   * and write responses, while the handler runs on this thread (default 0:
   * everything on this thread). See `WorkerPool` for how the port is shared;
   * fewer accepting workers than asked for are reported once at start. On
   * Deno, worker threads load hussar's modules from its files: from local
   * files, that takes `--allow-read` (without it `ready` rejects saying so).
   */
  workers?: number;
  /** Worker mode: requests in flight per worker beyond which it stops reading (default 1024). */
  maxInFlight?: number;
  /** Live connections (per worker in worker mode) beyond which new ones are dropped at once (default: 10,000 per worker, else no limit). */
  maxConnections?: number;
}
