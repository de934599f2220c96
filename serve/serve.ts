import { Hussar, type HussarHandler } from "../core/hussar.ts";
import type { ShuttleHandler } from "../core/shuttle.ts";
import type { NetAddress } from "../core/transport.ts";
import { drainConnections } from "../httputil/drain.ts";
import { DEFAULT_HTTP_OPTIONS, type HttpApp, httpHandler, logTo } from "../httputil/server.ts";
import { negotiateHandler } from "../http2/negotiate.ts";
import { type Http2App, http2Handler } from "../http2/session.ts";
import { type Logger, resolveLogger } from "../internal/logger.ts";
import { listen } from "../sources/listen.ts";
import { ListenError } from "../sources/errors.ts";
import type { Shuttle } from "../workers/shuttle.ts";
import { WorkerPool } from "../workers/worker_pool.ts";
import { fetchApp } from "./fetch_app.ts";
import { errorResponder } from "./_exchange.ts";
import { fetchShuttle } from "./_fetch_shuttle.ts";
import { fetchHttp2App } from "./_fetch_h2.ts";
import { type ResolvedServeOptions, resolveServeArguments } from "./_options.ts";
import { clientUrl, listeningMessage } from "./_url.ts";
import type { FetchHandler, ServeOptions } from "./types.ts";

/**
 * What a server runs: an HTTP app on this thread (and the same app over
 * HTTP/2, unless `http2` is null), or (worker mode) a shuttle handler on this
 * thread fed by worker threads that own the sockets.
 */
export type ServerEngine =
  | { app: HttpApp; http2: Http2App | null }
  /** Makes the shuttle handler, given the signal that aborts when the server shuts down. */
  | { shuttles: (shutdown: AbortSignal) => ShuttleHandler<Shuttle> };

/**
 * What a server listens through once started: the runtime's sockets, or
 * (worker mode) worker threads that own them. `stop` ends the accepting and,
 * for worker threads, their connections (graceful unless `force`).
 */
interface Backend {
  readonly addr: NetAddress;
  readonly pool: WorkerPool | null;
  stop(force: boolean): Promise<void>;
}

/**
 * A running server, as returned by {@linkcode serve}.
 *
 * @example
 * ```ts
 * import { serve } from "@hussar/core";
 * const server = serve({ port: 0, onListen() {}, fetch: () => new Response("hi") });
 * await server.ready;
 * console.log((await fetch(server.url)).status); // 200
 * await server.shutdown();
 * ```
 */
export class HttpServer implements AsyncDisposable {
  /** The core serving the connections (for introspection). */
  readonly hussar: Hussar;
  /**
   * Resolves once the server listens. Rejects if it cannot: with a
   * {@linkcode ListenError} (its `code` says why: `EADDRINUSE`, `EACCES`,
   * ...) when the address cannot be listened on, with an `AbortError` when
   * the `signal` was already aborted.
   */
  readonly ready: Promise<void>;
  readonly #finished: Promise<void>;
  #backend: Backend | null = null;
  #shutdown = new AbortController();
  #resolveFinished!: () => void;
  #rejectFinished!: (error: unknown) => void;
  #finishedWatched = false;
  #stopping: Promise<void> | null = null;
  readonly #secure: boolean;
  readonly #logger: Logger;

  /** @internal Use {@linkcode serve}. */
  constructor(options: ResolvedServeOptions, engine: ServerEngine) {
    this.#finished = new Promise((resolve, reject) => {
      this.#resolveFinished = resolve;
      this.#rejectFinished = reject;
    });
    // A failed start is the program's to handle, through `ready` (see `finished`).
    this.#finished.catch(() => {});
    this.#secure = options.tls !== undefined;
    this.#logger = resolveLogger(options.logger);
    this.hussar = new Hussar({
      scheduler: options.scheduler,
      logger: this.#logger,
      maxConnections: options.maxConnections,
      handler: "app" in engine
        ? this.#connectionHandler(engine.app, engine.http2, options)
        : () => {
          throw new Error("in worker mode the workers own the connections");
        },
    });
    this.ready = this.#start(
      options,
      "app" in engine ? null : engine.shuttles(this.#shutdown.signal),
    ).catch((error) => {
      if (options.signal?.aborted && !(error instanceof ListenError)) {
        // Stopped before it started, as asked: that is no failure of the program.
        void this.ready.catch(() => {});
        this.#resolveFinished();
      } else {
        this.#rejectFinished(error);
      }
      throw error;
    });
    options.signal?.addEventListener("abort", () => void this.shutdown(), { once: true });
  }

  /** HTTP/1.1, or, with `http2`, whichever of HTTP/2 and HTTP/1.1 each connection speaks. */
  #connectionHandler(
    app: HttpApp,
    http2: Http2App | null,
    options: ResolvedServeOptions,
  ): HussarHandler {
    // `onError` answers the fetch handler's failures; what fails after it, the engines report.
    const engine = {
      ...options,
      onError: undefined,
      logger: this.#logger,
      shutdown: this.#shutdown.signal,
    };
    const http1 = httpHandler(app, engine);
    if (http2 === null) return http1;
    return negotiateHandler(http1, http2Handler(http2, engine), {
      headersTimeoutMs: options.headersTimeoutMs ?? DEFAULT_HTTP_OPTIONS.headersTimeoutMs,
    });
  }

  /** Listens on the runtime's sockets, or (worker mode) starts the workers that do. */
  async #start(
    options: ResolvedServeOptions,
    shuttles: ShuttleHandler<Shuttle> | null,
  ): Promise<void> {
    if (options.signal?.aborted) {
      throw new DOMException("the server's signal was already aborted", "AbortError");
    }
    this.#backend = shuttles === null
      ? await this.#listenSockets(options)
      : await this.#startWorkers(options, shuttles);
    const onListen = options.onListen ??
      ((addr: NetAddress) => this.#logger.info(listeningMessage(addr, !!options.tls)));
    onListen(this.#backend.addr);
  }

  async #listenSockets(options: ResolvedServeOptions): Promise<Backend> {
    const hussar = this.hussar;
    const listener = await listen({
      hostname: options.hostname,
      port: options.port ?? 8000,
      path: options.path,
      reusePort: options.reusePort,
      tls: options.tls,
      alpnProtocols: options.http2 === false ? ["http/1.1"] : ["h2", "http/1.1"],
      logger: this.#logger,
    });
    hussar.attachSource(listener);
    return { addr: listener.addr, pool: null, stop: () => hussar.detachSource(listener) };
  }

  async #startWorkers(
    options: ResolvedServeOptions,
    shuttles: ShuttleHandler<Shuttle>,
  ): Promise<Backend> {
    // Functions and signals cannot cross to a thread: the workers get the rest.
    const {
      scheduler: _scheduler,
      signal: _signal,
      onListen: _onListen,
      onError: _onError,
      logger: _logger,
      ...http
    } = options;
    const pool = new WorkerPool({
      workers: options.workers!,
      hostname: options.hostname,
      port: options.port ?? 8000,
      path: options.path,
      tls: options.tls,
      http,
      http2: options.http2 !== false,
      maxInFlight: options.maxInFlight,
      maxConnections: options.maxConnections,
      logger: this.#logger,
    });
    await this.hussar.attachShuttles(pool, shuttles);
    // The workers drain (or drop) their connections; then no shuttle is left.
    return { addr: pool.addr, pool, stop: (force) => force ? pool.terminate() : pool.shutdown() };
  }

  /**
   * Resolves once the server has stopped (after `shutdown()`, `close()` or
   * the abort signal). Rejects with `ready`'s error if the server could not
   * start. A program handles that failure by awaiting (or catching) `ready`
   * or `finished`; one that does neither gets it as an unhandled rejection
   * (of `ready`), which ends the process with a non-zero exit code and the
   * error's message, naming the address and the cause.
   */
  get finished(): Promise<void> {
    if (!this.#finishedWatched) {
      this.#finishedWatched = true;
      // Whoever awaits `finished` is told of a failed start: `ready` need not report it.
      this.ready.catch(() => {});
    }
    return this.#finished;
  }

  /** Worker mode's pool (for introspection: `stats()`, `workerStats()`), `null` otherwise. */
  get workerPool(): WorkerPool | null {
    return this.#backend?.pool ?? null;
  }

  /** The address listened on. Throws until {@linkcode HttpServer.ready} has resolved. */
  get addr(): NetAddress {
    if (this.#backend === null) {
      throw new Error("the server is not listening yet: await server.ready");
    }
    return this.#backend.addr;
  }

  /**
   * The TCP port listened on (the one picked when 0 was asked), `undefined`
   * on a Unix socket. Throws until {@linkcode HttpServer.ready} has resolved.
   */
  get port(): number | undefined {
    const addr = this.addr;
    return addr.transport === "tcp" ? addr.port : undefined;
  }

  /**
   * The address listened on as bound (`0.0.0.0` for every IPv4 address),
   * `undefined` on a Unix socket. Throws until {@linkcode HttpServer.ready}
   * has resolved.
   */
  get hostname(): string | undefined {
    const addr = this.addr;
    return addr.transport === "tcp" ? addr.hostname : undefined;
  }

  /**
   * `http(s)://host:port/` for a TCP listener, `unix:path` for a Unix socket:
   * a URL a client on this machine can fetch, so `localhost` for a wildcard
   * address (`0.0.0.0`, `::`), which the default `onListen` line shows as bound.
   */
  get url(): string {
    return clientUrl(this.addr, this.#secure);
  }

  /**
   * Graceful shutdown: stops accepting, closes idle keep-alive connections,
   * lets in-flight requests finish (answered with `Connection: close`), and
   * resolves when every connection has ended.
   */
  shutdown(): Promise<void> {
    return this.#stopping ??= this.#stop(false);
  }

  /** Forced shutdown: stops accepting and aborts every connection now. */
  close(): Promise<void> {
    return this.#stop(true);
  }

  /** `await using server = serve(...)` shuts it down gracefully. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  async #stop(force: boolean): Promise<void> {
    await this.ready.catch(() => {});
    this.#shutdown.abort();
    await this.#backend?.stop(force);
    if (!force) await drainConnections(this.hussar);
    await this.hussar.close("server closed");
    this.#resolveFinished();
  }
}

/**
 * Serves HTTP/1.1 with a fetch-style handler on the runtime it runs on
 * (Deno, Bun or Node): `serve(handler)`, `serve(options)` with
 * `options.fetch` (or `options.handler`, as `Deno.serve` names it), or
 * `serve(options, handler)`. An unknown option, a handler given twice or a
 * malformed port throws a TypeError at once; `port` may be a decimal string
 * such as `process.env.PORT`.
 *
 * @example
 * ```ts
 * import { serve } from "@hussar/core";
 * const server = serve({ port: 0, onListen() {} }, (request) => new Response(`you sent ${request.method}`));
 * await server.ready;
 * console.log(await (await fetch(server.url, { method: "POST" })).text()); // you sent POST
 * await server.shutdown();
 * ```
 */
export function serve(handler: FetchHandler): HttpServer;
/**
 * Serves with the options given, the handler being `options.fetch`.
 *
 * @example
 * ```ts
 * import { serve } from "@hussar/core";
 * const server = serve({ port: 0, onListen() {}, fetch: () => new Response("hi") });
 * await server.ready;
 * console.log(await (await fetch(server.url)).text()); // hi
 * await server.shutdown();
 * ```
 */
export function serve(
  options: ServeOptions & ({ fetch: FetchHandler } | { handler: FetchHandler }),
): HttpServer;
/**
 * Serves `handler` with the options given.
 *
 * @example
 * ```ts
 * import { serve } from "@hussar/core";
 * const server = serve({ port: 0, onListen() {} }, () => new Response("hi"));
 * await server.ready;
 * console.log(await (await fetch(server.url)).text()); // hi
 * await server.shutdown();
 * ```
 */
export function serve(options: ServeOptions, handler: FetchHandler): HttpServer;
export function serve(first: FetchHandler | ServeOptions, second?: FetchHandler): HttpServer {
  const { options, handler } = resolveServeArguments(first, second);
  const { onError, logger } = options;
  return new HttpServer(
    options,
    (options.workers ?? 0) > 0
      ? {
        shuttles: (shutdown) =>
          fetchShuttle(handler, errorResponder(onError, resolveLogger(logger)), {
            report: logTo(resolveLogger(logger)),
            debug: options.debug ?? false,
          }, shutdown),
      }
      : {
        app: fetchApp(handler, { onError, logger }),
        http2: options.http2 === false
          ? null
          : fetchHttp2App(handler, errorResponder(onError, resolveLogger(logger))),
      },
  );
}
