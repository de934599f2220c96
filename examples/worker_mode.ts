/**
 * Worker mode: worker threads own the sockets and do the HTTP parsing and
 * writing; the handler runs here, on the main thread, with a plain
 * single-threaded world (the counter below needs no locking).
 *
 *   deno run -A examples/worker_mode.ts      bun examples/worker_mode.ts
 *   node npm/esm/examples/worker_mode.js     (after `npm run build`)
 *
 * `PORT`, `HOST` and `WORKERS` (default 2) choose where and with how many
 * workers it listens.
 *
 * @module
 */
import process from "node:process";
import { type HttpServer, serve } from "../serve/mod.ts";
import { type ExampleOptions, isMain, listenOptions } from "./_main.ts";

/** Options of {@linkcode start}: where to listen, and how many workers. */
export interface WorkerModeOptions extends ExampleOptions {
  /** Worker threads (default: `WORKERS` from the environment, else 2). */
  workers?: number;
}

/** Starts the server; resolves once every worker listens. */
export async function start(options: WorkerModeOptions = {}): Promise<HttpServer> {
  let served = 0;
  const server = serve({
    ...listenOptions(options),
    workers: options.workers ?? Number(process.env.WORKERS ?? 2),
    onListen() {},
  }, async (request) => {
    const number = ++served; // one thread runs every handler: no lost update
    const body = request.method === "POST" ? await request.text() : "";
    return Response.json({ served: number, method: request.method, echoed: body });
  });
  await server.ready;
  return server;
}

if (isMain(import.meta)) {
  const server = await start();
  const accepting = server.workerPool!.stats().workers;
  console.log(`worker-mode example (${accepting} accepting worker(s)) listening on ${server.url}`);
}
