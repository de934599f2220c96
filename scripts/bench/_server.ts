/**
 * One benchmark contender in its own process:
 *
 *   <runtime> _server.ts --server=hussar|native|srvx|floor --port=N
 *
 * `native` is `Deno.serve`, `Bun.serve` or `node:http` depending on the
 * runtime; `floor` is the least a fetch-style server must do (`_floor.ts`).
 * Every contender serves the routes of `_handlers.ts` on 127.0.0.1 with its
 * default options (hussar's limits and deadlines on).
 * Prints `ready <port>` once listening; runs until killed.
 *
 * @module
 */
import { createServer } from "node:http";
import process from "node:process";
import { serve } from "../../mod.ts";
import { fetchHandler, makeFetchHandler, nodeHandler } from "./_handlers.ts";
import { option } from "./_args.ts";
import { startFloor } from "./_floor.ts";

interface DenoServe {
  serve(
    options: { port: number; hostname: string; onListen(): void },
    handler: (request: Request) => Promise<Response>,
  ): { finished: Promise<void> };
}
interface BunServe {
  serve(options: {
    port: number;
    hostname: string;
    fetch: (request: Request) => Promise<Response>;
  }): unknown;
}

const HOSTNAME = "127.0.0.1";

/** Starts the contender; resolves once it listens. */
async function start(server: string, port: number): Promise<void> {
  const g = globalThis as { Deno?: DenoServe; Bun?: BunServe };
  if (server === "hussar") {
    const running = serve({ port, hostname: HOSTNAME, onListen() {} }, fetchHandler);
    await running.ready;
  } else if (server === "srvx") {
    const { serve: srvx } = await import("srvx");
    // On Node, srvx sends the Response's statusText as it is: give one (see _handlers.ts).
    const fetch = g.Deno === undefined && g.Bun === undefined
      ? makeFetchHandler("OK")
      : fetchHandler;
    await srvx({ port, hostname: HOSTNAME, silent: true, fetch }).ready();
  } else if (server === "floor") {
    await startFloor(HOSTNAME, port);
  } else if (server !== "native") {
    throw new Error(`unknown server: ${server}`);
  } else if (g.Deno !== undefined) {
    await new Promise<void>((resolve) => {
      g.Deno!.serve({ port, hostname: HOSTNAME, onListen: resolve }, fetchHandler);
    });
  } else if (g.Bun !== undefined) {
    g.Bun.serve({ port, hostname: HOSTNAME, fetch: fetchHandler });
  } else {
    const native = createServer(nodeHandler);
    await new Promise<void>((resolve) => native.listen(port, HOSTNAME, resolve));
  }
}

const server = option("server") ?? "hussar";
const port = Number(option("port") ?? "8000");
// A clean exit on SIGINT lets `--cpu-prof` write its profile.
process.on("SIGINT", () => process.exit(0));
await start(server, port);
process.stdout.write(`ready ${port}\n`);
