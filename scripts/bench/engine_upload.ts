/**
 * Engine CPU per upload, without sockets: one in-memory connection POSTs a
 * body (`--size`, default 16 MiB) to `/upload` in chunks of `--chunk` bytes
 * (default 64 KiB, what a socket read gives), each on a macrotask of its
 * own as socket data arrives, and only once the server asks for input (a
 * pull, as on Deno). The app reads the body to the end and answers its
 * length: the core API's `request.body.read()` loop (`--api=core`,
 * `_core.ts`'s app) or `serve()`'s fetch handler reading `request.body`
 * (`--api=serve`, `_handlers.ts`). The chunks are views of one buffer, so
 * what is measured is hussar's path per chunk, not the runtime's allocation
 * of read buffers. `--warmup` uploads first (default 8), then `--uploads`
 * (default 64); prints CPU µs per upload and per chunk, and the bytes the
 * heap allocated per chunk (Deno and Node).
 *
 *   deno run -A scripts/bench/engine_upload.ts [--api=core|serve] [--uploads=64] [--warmup=8]
 *   valgrind --tool=callgrind --smc-check=all-non-file deno run -A scripts/bench/engine_upload.ts --uploads=N
 *
 * @module
 */
import { Hussar } from "../../core/hussar.ts";
import type { Transport } from "../../core/transport.ts";
import { type Cost, costSince, directTransport, start, TIMEOUTS } from "./_direct.ts";
import {
  type DirectReader,
  type DirectSink,
  type DirectSource,
  ON_CHUNK,
} from "../../internal/direct_io.ts";
import { httpHandler } from "../../httputil/server.ts";
import type { HttpResponse, IncomingRequest } from "../../httputil/mod.ts";
import { fetchApp } from "../../serve/fetch_app.ts";
import type { AwayCall } from "../../scheduler/mod.ts";
import { fetchHandler } from "./_handlers.ts";
import { option } from "./_args.ts";

const api = option("api") ?? "core";
if (api !== "core" && api !== "serve") throw new Error(`--api: unknown ${api}`);
const size = Number(option("size") ?? String(16 * 2 ** 20));
const chunkSize = Number(option("chunk") ?? String(64 * 1024));
const uploads = Number(option("uploads") ?? "64");
const warmup = Number(option("warmup") ?? "8");

const head = new TextEncoder().encode(
  `POST /upload HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\nContent-Length: ${size}\r\n\r\n`,
);
const body = new Uint8Array(size).fill(0x78);
const answer = new TextEncoder().encode(String(size));

function* upload(request: IncomingRequest): AwayCall<HttpResponse> {
  let total = 0;
  for (let part = yield* request.body.read(); part !== null; part = yield* request.body.read()) {
    total += part.length;
  }
  return { status: 200, body: String(total) };
}

/** A connection that sends `count` uploads one after another, each once the last is answered. */
function client(count: number, done: () => void, failed: (error: Error) => void): Transport {
  let reader: DirectReader | null = null;
  let sent = 0; // uploads started
  let offset = -1; // -1: the next read gets a head
  const deliver = (): void => {
    const to = reader!;
    reader = null;
    let chunk: Uint8Array;
    if (offset === -1) {
      chunk = head;
      offset = 0;
    } else {
      chunk = body.subarray(offset, offset + chunkSize);
      offset += chunk.length;
    }
    to[ON_CHUNK](chunk);
  };
  const source: DirectSource = {
    read(to) {
      reader = to;
      // Between two uploads the server waits for the next head: it comes with the answer.
      if (offset < size && sent > 0) setImmediate(deliver);
    },
    cancel() {},
  };
  const sink: DirectSink = {
    write(bytes) {
      const text = bytes.subarray(bytes.length - answer.length);
      if (!text.every((b, i) => b === answer[i])) return failed(new Error("a wrong answer"));
      if (sent === count) return done();
      sent++;
      offset = -1;
      if (reader !== null) setImmediate(deliver);
    },
    end: () => failed(new Error("the server ended the connection")),
    abort: () => failed(new Error("the server aborted the connection")),
  };
  sent = 1;
  return directTransport(source, sink);
}

/** CPU µs and bytes allocated (null: not counted) per upload. */
async function measure(count: number): Promise<Cost> {
  const hussar = new Hussar({
    handler: httpHandler(api === "core" ? upload : fetchApp(fetchHandler), TIMEOUTS),
  });
  const started = start();
  await new Promise<void>((resolve, reject) => {
    hussar.addConnection(client(count, resolve, reject));
  });
  const cost = costSince(started, count);
  await hussar.close();
  return cost;
}

if (warmup > 0) await measure(warmup);
const { micros, bytes } = await measure(uploads);
const chunks = Math.ceil(size / chunkSize);
console.log(
  `${api}: ${micros.toFixed(0)} µs CPU per upload of ${size} bytes, ` +
    `${(micros / chunks).toFixed(2)} µs per ${chunkSize}-byte chunk` +
    (bytes === null ? "" : `, ${(bytes / chunks).toFixed(0)} bytes allocated per chunk`),
);
