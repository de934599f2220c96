/**
 * The program each worker thread runs: listen, parse, and pass every
 * request to the main thread as a shuttle (see worker_pool.ts).
 *
 * @module
 */
import { HttpServer } from "../serve/serve.ts";
import { parentPort } from "./_port.ts";
import type { WorkerInit } from "./_protocol.ts";
import { WorkerShuttles } from "./_worker_app.ts";

const port = await parentPort();
let server: HttpServer | null = null;
let shuttles: WorkerShuttles | null = null;

port.onMessage((message) => {
  switch (message.type) {
    case "init":
      start(message);
      break;
    case "shutdown":
    case "close":
      if (server === null) return stopped();
      void (message.type === "close" ? server.close() : server.shutdown()).then(stopped);
      break;
    case "stats": {
      const scheduler = server?.hussar.scheduler;
      port.post({
        type: "stats",
        stats: {
          slots: shuttles?.inFlight ?? 0,
          connections: server?.hussar.connectionCount ?? 0,
          threads: scheduler?.threadCount ?? 0,
          timers: scheduler?.timerCount ?? 0,
        },
      });
      break;
    }
    default:
      shuttles?.receive(message);
  }
});

function start(init: WorkerInit): void {
  shuttles = new WorkerShuttles(port, init.maxInFlight);
  server = new HttpServer({
    ...init.http,
    hostname: init.hostname,
    port: init.port,
    path: init.path,
    tls: init.tls,
    reusePort: init.reusePort,
    maxConnections: init.maxConnections,
    onListen: (addr) => port.post({ type: "listening", addr }),
  }, { app: shuttles.app });
  server.ready.catch((error: unknown) => {
    port.post({
      type: "listen-failed",
      message: error instanceof Error ? error.message : String(error),
      code: (error as { code?: unknown })?.code?.toString() ?? null,
    });
  });
}

function stopped(): void {
  port.post({ type: "stopped" });
  port.close();
}
