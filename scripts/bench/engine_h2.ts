/**
 * CPU and heap per HTTP/2 request of the engine alone, without sockets: the
 * HTTP/2 twin of `engine.ts`. In-memory connections speak h2c with prior
 * knowledge as `h2load -m10` would: the preface, SETTINGS (and the ACK of
 * the server's), then GETs of `/` with 10 streams in flight per connection;
 * each response's end opens the next stream, and the connection window is
 * given back with WINDOW_UPDATE as responses arrive. Requests reach the
 * server on macrotasks of their own, like socket data.
 *
 * The server is `serve()`'s: `negotiateHandler` choosing the HTTP/2 session
 * by the preface, `serve()`'s fetch adapter and the routes of
 * `_handlers.ts` (a genuine `Request` in, a `Response` out). `--api=core`
 * runs `http2Handler` with an app returning a plain `{ status, headers,
 * body }` instead.
 *
 * Instructions per request are the difference between two runs under
 * callgrind, at N and 2N requests, divided by N; bytes allocated per
 * request come from the heap statistics (V8's `total_allocated_bytes`, so
 * Deno and Node; Bun does not count them).
 *
 *   deno run -A scripts/bench/engine_h2.ts [--api=serve|core] [--connections=10] [--streams=10] [--requests=100000]
 *   bun scripts/bench/engine_h2.ts
 *   node .build/bench/esm/scripts/bench/engine_h2.js   (after the npm build)
 *   valgrind --tool=callgrind --smc-check=all-non-file deno run -A scripts/bench/engine_h2.ts --slow --warmup=5000 --requests=5000
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
import { fetchApp } from "../../serve/fetch_app.ts";
import { fetchHttp2App } from "../../serve/_fetch_h2.ts";
import { errorResponder } from "../../serve/_exchange.ts";
import { type Http2App, http2Handler } from "../../http2/session.ts";
import type { HttpResponse } from "../../httputil/respond.ts";
import { negotiateHandler } from "../../http2/negotiate.ts";
import { CONNECTION_PREFACE } from "../../http2/frame.ts";
import { HpackEncoder } from "../../http2/hpack.ts";
import {
  serializeSettings,
  serializeWindowUpdate,
  SETTINGS_ACK,
  writeFrameHeader,
} from "../../http2/serialize.ts";
import { fetchHandler, HELLO } from "./_handlers.ts";
import { option } from "./_args.ts";

const SILENT = { info() {}, warn() {}, error: console.error };

/** h2load's request: these fields, the first block with literals, the next ones all indexed. */
const FIELDS: [string, string][] = [
  [":method", "GET"],
  [":path", "/"],
  [":scheme", "http"],
  [":authority", "localhost:8080"],
  ["user-agent", "h2load nghttp2/1.64.0"],
];
const encoder = new HpackEncoder();
const FIRST_BLOCK = encoder.encode(FIELDS).slice();
const NEXT_BLOCK = encoder.encode(FIELDS).slice();
const OPENING = concat([CONNECTION_PREFACE, serializeSettings({ enablePush: 0 })]);
const FLAGS_END_STREAM_HEADERS = 0x5;

const coreApp: Http2App = () => ({
  status: 200,
  headers: [["content-type", "text/plain;charset=UTF-8"]],
  body: HELLO,
});

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The HEADERS frames opening `ids` (GET /, END_STREAM), as one chunk. */
function requests(ids: number[], first: boolean): Uint8Array {
  const size = ids.length * 9 + (first ? FIRST_BLOCK.length : 0) +
    (ids.length - (first ? 1 : 0)) * NEXT_BLOCK.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (let i = 0; i < ids.length; i++) {
    const block = first && i === 0 ? FIRST_BLOCK : NEXT_BLOCK;
    writeFrameHeader(out, at, block.length, 1, FLAGS_END_STREAM_HEADERS, ids[i]);
    out.set(block, at + 9);
    at += 9 + block.length;
  }
  return out;
}

interface Counter {
  /** Requests still to start, over all connections. */
  toStart: number;
  answered: number;
  total: number;
  finish(): void;
  fail(error: Error): void;
}

/**
 * A client connection: opens `streams` streams, and one more each time a
 * response ends while the counter says so. It scans the server's frames
 * (no HPACK decoding: a real client's cost is not the server's) for
 * END_STREAM and DATA octets.
 */
function client(counter: Counter, streams: number): Transport {
  let reader: DirectReader | null = null;
  let queue: Uint8Array[] = [];
  let nextId = 1;
  let first = true;
  let settingsAcked = false;
  let consumed = 0; // DATA octets not yet given back by WINDOW_UPDATE
  let rest: Uint8Array | null = null; // a frame split across writes
  const open = (count: number): Uint8Array | null => {
    const n = Math.min(count, counter.toStart);
    if (n <= 0) return null;
    counter.toStart -= n;
    const ids: number[] = [];
    for (let i = 0; i < n; i++, nextId += 2) ids.push(nextId);
    const bytes = requests(ids, first);
    first = false;
    return bytes;
  };
  const deliver = (): void => {
    if (reader === null || queue.length === 0) return;
    const chunk = queue.length === 1 ? queue[0] : concat(queue);
    queue = [];
    const to = reader;
    reader = null;
    setImmediate(() => to[ON_CHUNK](chunk));
  };
  const source: DirectSource = {
    read(to) {
      reader = to;
      deliver();
    },
    cancel() {},
  };
  queue.push(OPENING);
  const opening = open(streams);
  if (opening !== null) queue.push(opening);
  const sink: DirectSink = {
    write(chunk) {
      let bytes = chunk;
      if (rest !== null) {
        bytes = concat([rest, chunk]);
        rest = null;
      }
      let ended = 0;
      let at = 0;
      while (at + 9 <= bytes.length) {
        const length = (bytes[at] << 16) | (bytes[at + 1] << 8) | bytes[at + 2];
        if (at + 9 + length > bytes.length) break;
        const type = bytes[at + 3];
        const flags = bytes[at + 4];
        if (type === 0) consumed += length;
        if ((type === 0 || type === 1) && (flags & 1) !== 0) ended++;
        if (type === 4 && (flags & 1) === 0 && !settingsAcked) {
          settingsAcked = true;
          queue.push(SETTINGS_ACK);
        }
        at += 9 + length;
      }
      if (at < bytes.length) rest = bytes.slice(at);
      if (consumed >= 32768) {
        queue.push(serializeWindowUpdate(0, consumed));
        consumed = 0;
      }
      if (ended > 0) {
        counter.answered += ended;
        if (counter.answered === counter.total) counter.finish();
        const more = open(ended);
        if (more !== null) queue.push(more);
      }
      deliver();
    },
    end() {
      if (counter.answered < counter.total) {
        counter.fail(new Error(`a connection closed after ${counter.answered} responses`));
      }
    },
    abort(reason) {
      counter.fail(reason);
    },
  };
  return directTransport(source, sink);
}

/** Measures `total` requests; resolves with µs of CPU and bytes allocated per request. */
async function measure(
  api: string,
  connections: number,
  streams: number,
  total: number,
): Promise<Cost> {
  const counter = { toStart: total, answered: 0, total } as Counter;
  const finished = new Promise<void>((resolve, reject) => {
    counter.finish = resolve;
    counter.fail = reject;
  });
  const options: { headersTimeoutMs?: number; logger: typeof SILENT } = {
    ...TIMEOUTS,
    logger: SILENT,
  };
  const app = api === "core"
    ? coreApp
    : api === "core-async"
    ? (e: Parameters<Http2App>[0]) => Promise.resolve(coreApp(e) as HttpResponse)
    : fetchHttp2App(fetchHandler, errorResponder(undefined, SILENT));
  const hussar = new Hussar({
    handler: negotiateHandler(
      httpHandler(fetchApp(fetchHandler), options),
      http2Handler(app, options),
      { headersTimeoutMs: options.headersTimeoutMs ?? 10_000 },
    ),
    logger: SILENT,
  });
  const started = start();
  for (let i = 0; i < connections; i++) hussar.addConnection(client(counter, streams));
  await finished;
  const cost = costSince(started, total);
  await hussar.close();
  return cost;
}

const api = option("api") ?? "serve";
if (!["serve", "core", "core-async"].includes(api)) throw new Error(`--api: unknown ${api}`);
const connections = Number(option("connections") ?? "10");
const streams = Number(option("streams") ?? "10");
const requests_ = Number(option("requests") ?? "100000");
const warmup = Number(option("warmup") ?? "20000");
if (warmup > 0) await measure(api, connections, streams, warmup);
const { micros, bytes } = await measure(api, connections, streams, requests_);
console.log(
  `h2 ${api}: ${requests_} requests over ${connections} connections × ${streams} streams: ${
    micros.toFixed(2)
  } µs of CPU, ${
    bytes === null ? "n/a" : (bytes / 1024).toFixed(2) + " KiB"
  } allocated per request`,
);
