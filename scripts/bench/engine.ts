/**
 * CPU per request of the engine alone, without sockets: `serve()`'s stack
 * (core, HTTP/1.1 engine, fetch adapter, the routes of `_handlers.ts`) fed
 * by in-memory connections that each send the next `GET` once the previous
 * response is written, as a keep-alive load generator would. Each request
 * arrives on its own macrotask, like socket data. For profiling
 * (`--cpu-prof`) without the noise of system calls.
 *
 *   deno run -A scripts/bench/engine.ts [--connections=64] [--requests=200000]
 *   bun scripts/bench/engine.ts
 *   node .build/bench/esm/scripts/bench/engine.js   (after the npm build)
 *
 * @module
 */
import process from "node:process";
import { Hussar } from "../../core/hussar.ts";
import type { Transport } from "../../core/transport.ts";
import {
  DIRECT_SINK,
  DIRECT_SOURCE,
  type DirectSink,
  type DirectSource,
} from "../../internal/direct_io.ts";
import { httpHandler } from "../../httputil/server.ts";
import { fetchApp } from "../../serve/fetch_app.ts";
import { fetchHandler } from "./_handlers.ts";
import { option } from "./_args.ts";

const REQUEST = new TextEncoder().encode(
  "GET / HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n",
);
const ADDRESS = { transport: "tcp", hostname: "127.0.0.1", port: 8080 } as const;

/** Measures `total` requests over `connections` connections; resolves with µs of CPU per request. */
async function measure(connections: number, total: number): Promise<number> {
  let answered = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const hussar = new Hussar({ handler: httpHandler(fetchApp(fetchHandler)) });
  const before = process.cpuUsage();
  for (let i = 0; i < connections; i++) {
    hussar.addConnection(client(() => {
      if (++answered === total) finish();
      return answered <= total - connections;
    }));
  }
  await finished;
  const used = process.cpuUsage(before);
  await hussar.close();
  return (used.user + used.system) / total;
}

/**
 * A connection that sends one request, and another after each write (one
 * response per write: no pipelining) while `more()` says so.
 */
function client(more: () => boolean): Transport {
  let reader: ((chunk: Uint8Array | null) => void) | null = null;
  let pending = true; // the first request is there at once
  const source: DirectSource = {
    read(onChunk) {
      if (!pending) return void (reader = onChunk);
      pending = false;
      setImmediate(() => onChunk(REQUEST));
    },
    cancel() {},
  };
  const sink: DirectSink = {
    write() {
      if (!more()) return;
      if (reader === null) return void (pending = true);
      const deliver = reader;
      reader = null;
      setImmediate(() => deliver(REQUEST));
    },
    end() {},
    abort() {},
  };
  return {
    info: { remoteAddr: ADDRESS, localAddr: ADDRESS, tls: false },
    get readable(): never {
      throw new Error("read directly");
    },
    get writable(): never {
      throw new Error("written directly");
    },
    [DIRECT_SOURCE]: () => source,
    [DIRECT_SINK]: () => sink,
  } as Transport;
}

const connections = Number(option("connections") ?? "64");
const requests = Number(option("requests") ?? "200000");
await measure(connections, Math.min(requests, 20_000)); // warm-up
const micros = await measure(connections, requests);
console.log(
  `${requests} requests over ${connections} connections: ${
    micros.toFixed(2)
  } µs of CPU per request`,
);
