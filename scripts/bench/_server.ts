/**
 * One benchmark contender in its own process:
 *
 *   <runtime> _server.ts --server=hussar|core|native|raw|floor|srvx|hono --port=N [--h2]
 *
 * `native` is `Deno.serve`, `Bun.serve` or `node:http` depending on the
 * runtime; `core` is hussar's own API without Fetch objects (`_core.ts`);
 * `raw` is a ceiling, a socket loop that answers canned bytes (`_raw.ts`);
 * `floor` is the least a fetch-style server must do (`_floor.ts`); `hono`
 * is `@hono/node-server` (Node only). Every contender serves the routes of
 * `_handlers.ts` on 127.0.0.1 with its default options (hussar's limits and
 * deadlines on). Prints `ready <port>` once listening; runs until killed.
 *
 * `--h2` is the HTTP/2 case's server, cleartext with prior knowledge (h2c):
 * `native` is then `Deno.serve` (which speaks h2c by default), `Bun.serve`
 * with `http2: true`, or `node:http2`'s `createServer` answering on its
 * `stream` event (its fastest API); `hussar` is `serve()` as it is, which
 * tells HTTP/2 by its preface. Other contenders have no HTTP/2 server.
 *
 * Each line `stats` on stdin is answered with `stats <json>`: the heap in
 * use after a full collection (`heapUsed`, bytes) and the bytes allocated
 * since the start (`allocated`; null where the runtime does not count them,
 * Node 20), from the runtime's heap statistics; `allocated` with
 * `allocated <json>`, that count alone, with no collection (which would
 * slow the requests right after it). `snapshot <path>` writes a
 * heap snapshot in V8's format there (Bun's `generateHeapSnapshot("v8")`,
 * else `node:v8`) and answers `snapshot <path>`. A full collection needs
 * `--expose-gc` on Node and Deno (the driver passes it); Bun has `Bun.gc`.
 *
 * @module
 */
import { createServer } from "node:http";
import process from "node:process";
import { writeFileSync } from "node:fs";
import { getHeapStatistics, writeHeapSnapshot } from "node:v8";
import { serve } from "../../mod.ts";
import { fetchHandler, makeFetchHandler, nodeHandler, nodeHttp2Handler } from "./_handlers.ts";
import { option } from "./_args.ts";
import { startFloor } from "./_floor.ts";
import { startRaw } from "./_raw.ts";
import { startCore } from "./_core.ts";

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
    http2?: boolean;
  }): unknown;
}

const HOSTNAME = "127.0.0.1";

/** Starts the contender; resolves once it listens. */
async function start(server: string, port: number, h2: boolean): Promise<void> {
  const g = globalThis as { Deno?: DenoServe; Bun?: BunServe };
  if (h2 && server !== "hussar" && server !== "native") {
    throw new Error(`${server}: no HTTP/2 server`);
  }
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
  } else if (server === "hono") {
    if (g.Deno !== undefined || g.Bun !== undefined) throw new Error("hono: Node only");
    const { serve: hono } = await import("@hono/node-server");
    await new Promise<void>((resolve) => {
      hono({ port, hostname: HOSTNAME, fetch: fetchHandler }, () => resolve());
    });
  } else if (server === "floor") {
    await startFloor(HOSTNAME, port);
  } else if (server === "raw") {
    await startRaw(HOSTNAME, port);
  } else if (server === "core") {
    await startCore(HOSTNAME, port);
  } else if (server !== "native") {
    throw new Error(`unknown server: ${server}`);
  } else if (g.Deno !== undefined) {
    await new Promise<void>((resolve) => {
      g.Deno!.serve({ port, hostname: HOSTNAME, onListen: resolve }, fetchHandler);
    });
  } else if (g.Bun !== undefined) {
    g.Bun.serve({ port, hostname: HOSTNAME, fetch: fetchHandler, ...(h2 ? { http2: true } : {}) });
  } else if (h2) {
    const { createServer } = await import("node:http2");
    const native = createServer().on("stream", nodeHttp2Handler);
    await new Promise<void>((resolve) => native.listen(port, HOSTNAME, resolve));
  } else {
    const native = createServer(nodeHandler);
    await new Promise<void>((resolve) => native.listen(port, HOSTNAME, resolve));
  }
}

/** The runtime's heap statistics, after a full collection for `heapUsed`. */
function stats(): { heapUsed: number; allocated: number | null } {
  const before = allocated();
  const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (g.Bun !== undefined) g.Bun.gc(true);
  else if (g.gc !== undefined) g.gc();
  else throw new Error("no gc(): run with --expose-gc");
  return {
    heapUsed: getHeapStatistics().used_heap_size,
    allocated: before,
  };
}

/** Bytes allocated since the start (a counter: no collection), or null where not counted. */
function allocated(): number | null {
  return (getHeapStatistics() as { total_allocated_bytes?: number }).total_allocated_bytes ?? null;
}

/** Writes a heap snapshot (V8's format, which Bun also writes) to `path`. */
function snapshot(path: string): string {
  const bun = (globalThis as { Bun?: { generateHeapSnapshot(format: "v8"): string } }).Bun;
  if (bun === undefined) return writeHeapSnapshot(path);
  writeFileSync(path, bun.generateHeapSnapshot("v8"));
  return path;
}

/** Answers `stats` lines on stdin until it ends (the driver's pipe: then the process stays). */
function answerStats(): void {
  let pending = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (text: string) => {
    pending += text;
    for (let end = pending.indexOf("\n"); end !== -1; end = pending.indexOf("\n")) {
      const line = pending.slice(0, end).trim();
      pending = pending.slice(end + 1);
      if (line === "stats") process.stdout.write(`stats ${JSON.stringify(stats())}\n`);
      if (line === "allocated") process.stdout.write(`allocated ${JSON.stringify(allocated())}\n`);
      if (line.startsWith("snapshot ")) {
        process.stdout.write(`snapshot ${snapshot(line.slice(9))}\n`);
      }
    }
  });
}

const server = option("server") ?? "hussar";
const port = Number(option("port") ?? "8000");
// A clean exit on SIGINT lets `--cpu-prof` write its profile.
process.on("SIGINT", () => process.exit(0));
await start(server, port, process.argv.includes("--h2"));
answerStats();
process.stdout.write(`ready ${port}\n`);
