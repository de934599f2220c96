/**
 * The program each worker thread runs: listen, parse, and pass every
 * request (or HTTP/2 stream) to the main thread as a shuttle (see
 * worker_pool.ts). It serves with the layers under `serve()` (core,
 * httputil, http2, sources), as `serve()` does, and reports through the
 * pool's logger.
 *
 * @module
 */
import { Hussar } from "../core/hussar.ts";
import type { Logger } from "../internal/logger.ts";
import { drainConnections } from "../httputil/drain.ts";
import { DEFAULT_HTTP_OPTIONS, httpHandler } from "../httputil/server.ts";
import { negotiateHandler } from "../http2/negotiate.ts";
import { http2Handler } from "../http2/session.ts";
import { listen, type Listener } from "../sources/listen.ts";
import { type ParentPort, parentPort } from "./_port.ts";
import type { WorkerInit } from "./_protocol.ts";
import { WorkerShuttles } from "./_worker_app.ts";

const port = await parentPort();
let server: WorkerServer | null = null;

port.onMessage((message) => {
  switch (message.type) {
    case "init":
      server = new WorkerServer(message);
      break;
    case "shutdown":
    case "close":
      if (server === null) return stopped();
      void server.stop(message.type === "close").then(stopped);
      break;
    case "stats": {
      const scheduler = server?.hussar.scheduler;
      port.post({
        type: "stats",
        stats: {
          slots: server?.shuttles.inFlight ?? 0,
          connections: server?.hussar.connectionCount ?? 0,
          threads: scheduler?.threadCount ?? 0,
          timers: scheduler?.timerCount ?? 0,
        },
      });
      break;
    }
    default:
      server?.shuttles.receive(message);
  }
});

/** The worker's server: a core serving the shuttle app on the listener it opens. */
class WorkerServer {
  readonly shuttles: WorkerShuttles;
  readonly hussar: Hussar;
  readonly #shutdown = new AbortController();
  readonly #listening: Promise<Listener | null>;

  constructor(init: WorkerInit) {
    const logger = forwardingLogger(port);
    this.shuttles = new WorkerShuttles(port, init.maxInFlight);
    const engine = { ...init.http, logger, shutdown: this.#shutdown.signal };
    const http1 = httpHandler(this.shuttles.app, engine);
    this.hussar = new Hussar({
      logger,
      maxConnections: init.maxConnections,
      // As serve() does in single-thread mode: HTTP/2 by ALPN or the preface, else HTTP/1.1.
      handler: init.http2
        ? negotiateHandler(http1, http2Handler(this.shuttles.http2App, engine), {
          headersTimeoutMs: init.http.headersTimeoutMs ?? DEFAULT_HTTP_OPTIONS.headersTimeoutMs,
        })
        : http1,
    });
    this.#listening = listen({
      hostname: init.hostname,
      port: init.port,
      path: init.path,
      tls: init.tls,
      alpnProtocols: init.http2 ? ["h2", "http/1.1"] : ["http/1.1"],
      reusePort: init.reusePort,
      logger,
    }).then((listener) => {
      this.hussar.attachSource(listener);
      port.post({ type: "listening", addr: listener.addr });
      return listener;
    }, (error: unknown) => {
      port.post({
        type: "listen-failed",
        message: error instanceof Error ? error.message : String(error),
        code: (error as { code?: unknown })?.code?.toString() ?? null,
      });
      return null;
    });
  }

  /** Graceful (each connection finishes its exchange) unless `force`; as `HttpServer` stops. */
  async stop(force: boolean): Promise<void> {
    const listener = await this.#listening;
    this.#shutdown.abort();
    if (listener !== null) await this.hussar.detachSource(listener);
    if (!force) await drainConnections(this.hussar);
    await this.hussar.close("server closed");
  }
}

/** A logger whose lines go to the pool (functions cannot cross to a thread). */
function forwardingLogger(port: ParentPort): Logger {
  return {
    info: (text) => port.post({ type: "log", level: "info", text, error: null }),
    warn: (text) => port.post({ type: "log", level: "warn", text, error: null }),
    error: (text, error) =>
      port.post({
        type: "log",
        level: "error",
        text,
        error: error === undefined
          ? null
          : error instanceof Error
          ? error.stack ?? String(error)
          : String(error),
      }),
  };
}

function stopped(): void {
  port.post({ type: "stopped" });
  port.close();
}
