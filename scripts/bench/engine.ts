/**
 * CPU per request of the engine alone, without sockets, fed by in-memory
 * connections that each send the next `GET` once the previous response is
 * written, as a keep-alive load generator would. Each request arrives on its
 * own macrotask, like socket data. For profiling (`--cpu-prof`) and
 * instruction counts (`valgrind --tool=callgrind`) without the noise of
 * system calls.
 *
 * - `--api=serve` (default): `serve()`'s stack (core, HTTP/1.1 engine, fetch
 *   adapter, the routes of `_handlers.ts`): a genuine `Request` in, a
 *   `Response` out. Printed beside it: what the runtime's own objects cost
 *   in a loop (`new Request` of the same URL with the same fields appended,
 *   the runtime's `new Response` of the same body, and reading that body),
 *   the part of `serve()`'s cost that is not hussar's.
 * - `--api=core`: the core API, `new Hussar({ handler: httpHandler(app) })`
 *   with an `app` that returns a plain `{ status, headers, body }`.
 * - `--api=objects`: the runtime's objects alone, in that loop.
 * - `--churn`: connection churn instead of keep-alive: each in-memory
 *   connection sends one `GET` with `Connection: close`, the server answers
 *   and closes it, and a new one comes on the next macrotask, as an accept
 *   would (`--connections` at a time, 50 by default); `--requests` counts
 *   connections. What setting a connection up and down costs the core, the
 *   HTTP/1.1 engine and (`--api=serve`) the fetch adapter, without sockets.
 *
 * `--negotiate` serves through `negotiateHandler`, as `serve()` does (a
 * connection's first bytes choose HTTP/1.1 or HTTP/2); without it, through
 * `httpHandler` alone.
 *
 * `--method=POST` sends `POST /echo` with a 1 KiB body (in the same chunk
 * as the head, as a small upload arrives) instead of `GET /`; the handler
 * reads it as text and echoes it, and the objects' loop does the same with
 * a `Request` of that body.
 *
 * `--warmup=N` requests (default 20,000) run first, then `--requests=N`.
 * On Bun, JavaScriptCore's compiler threads are still at work 20,000
 * requests in, and the CPU figure counts them: `--warmup=300000` measures
 * the steady state (docs/benchmarks.md, "Engine CPU, seventh round").
 * Instructions per request are the difference between two runs under
 * callgrind, at N and 2N requests, divided by N (start-up and warm-up cancel
 * out; `--alone` leaves out the objects' loop that `--api=serve` runs
 * after its own, which `--api=objects` counts alone).
 *
 *   deno run -A scripts/bench/engine.ts [--api=serve|core|objects] [--method=GET|POST] [--connections=64] [--requests=200000] [--churn] [--negotiate]
 *   bun scripts/bench/engine.ts
 *   node .build/bench/esm/scripts/bench/engine.js   (after the npm build)
 *   valgrind --tool=callgrind --smc-check=all-non-file deno run -A scripts/bench/engine.ts --slow --requests=20000
 *
 * @module
 */
import process from "node:process";
import { Hussar } from "../../core/hussar.ts";
import type { Transport } from "../../core/transport.ts";
import { type Cost, costSince, directTransport, served, start, TIMEOUTS } from "./_direct.ts";
import {
  type DirectReader,
  type DirectSink,
  type DirectSource,
  ON_CHUNK,
} from "../../internal/direct_io.ts";
import { DEFAULT_HTTP_OPTIONS, httpHandler } from "../../httputil/server.ts";
import { negotiateHandler } from "../../http2/negotiate.ts";
import { http2Handler } from "../../http2/session.ts";
import { fetchApp } from "../../serve/fetch_app.ts";
import type { HttpApp } from "../../httputil/server.ts";
import { fetchHandler, HELLO } from "./_handlers.ts";
import { option } from "./_args.ts";

const METHOD = option("method") ?? "GET";
if (METHOD !== "GET" && METHOD !== "POST") throw new Error(`--method: unknown ${METHOD}`);
/** The POST's body: 1 KiB of JSON-ish text. */
const POSTED = `{"data":"${"x".repeat(1024 - 11)}"}`;
const REQUEST = new TextEncoder().encode(
  METHOD === "GET"
    ? "GET / HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n"
    : "POST /echo HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n" +
      `Content-Type: application/json\r\nContent-Length: ${POSTED.length}\r\n\r\n${POSTED}`,
);
/** The churn case's request: one per connection. */
const REQUEST_CLOSE = new TextEncoder().encode(
  "GET / HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: h2load\r\nConnection: close\r\n\r\n",
);
/** The request above as the runtime's objects would carry it. */
const URL_ = METHOD === "GET" ? "http://localhost:8080/" : "http://localhost:8080/echo";
const HEADERS: [string, string][] = [
  ["host", "localhost:8080"],
  ["user-agent", "wrk"],
  ["accept", "*/*"],
  ...(METHOD === "GET" ? [] : [
    ["content-type", "application/json"],
    ["content-length", String(POSTED.length)],
  ] as [string, string][]),
];
const BODY = new TextEncoder().encode(POSTED);
/** The last byte of every response (that of its body). */
const LAST_BYTE = (METHOD === "GET" ? HELLO : POSTED).charCodeAt(
  (METHOD === "GET" ? HELLO : POSTED).length - 1,
);

/** The core API's hello world (a plain response object), or its echo of a POST's body. */
const coreApp: HttpApp = METHOD === "GET"
  ? () => ({ status: 200, headers: [["content-type", "text/plain;charset=UTF-8"]], body: HELLO })
  : function* (request) {
    const body = yield* request.body.readAll();
    return { status: 200, headers: [["content-type", "application/json"]], body };
  };

/**
 * With `--negotiate`, the connection handler as `serve()` builds it: HTTP/1.1
 * or HTTP/2 chosen by a connection's first bytes (`negotiateHandler`).
 */
const NEGOTIATE = process.argv.includes("--negotiate");

/** The engine on in-memory connections: the core API's app, or `serve()`'s stack. */
function engine(api: string): Hussar {
  const http1 = httpHandler(api === "core" ? coreApp : fetchApp(fetchHandler), TIMEOUTS);
  return new Hussar({
    handler: NEGOTIATE
      // The HTTP/2 app never runs: every request here is HTTP/1.1.
      ? negotiateHandler(http1, http2Handler(() => ({ status: 404, body: null }), TIMEOUTS), {
        headersTimeoutMs: TIMEOUTS.headersTimeoutMs ?? DEFAULT_HTTP_OPTIONS.headersTimeoutMs,
      })
      : http1,
  });
}

/** Measures `total` requests over `connections` connections. */
function measure(api: string, connections: number, total: number): Promise<Cost> {
  return served(engine(api), connections, total, client);
}

/** Measures `total` connections of one request each, `parallel` at a time. */
async function measureChurn(api: string, parallel: number, total: number): Promise<Cost> {
  let opened = 0;
  let ended = 0;
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const hussar = engine(api);
  const open = (): void => {
    opened++;
    hussar.addConnection(oneShotClient((answered) => {
      if (!answered) return fail(new Error(`connection ${opened} closed without a response`));
      if (++ended === total) finish();
      // The next client comes on a macrotask of its own, as an accept would.
      else if (opened < total) setImmediate(open);
    }));
  };
  const started = start();
  for (let i = 0; i < parallel && i < total; i++) open();
  await finished;
  const cost = costSince(started, total);
  await hussar.whenEmpty();
  await hussar.close();
  return cost;
}

/**
 * A connection that sends one request with `Connection: close` and waits;
 * `ended(answered)` once the server ends it (`answered`: it wrote a response
 * and closed, rather than aborting).
 */
function oneShotClient(ended: (answered: boolean) => void): Transport {
  let sent = false;
  let wrote = false;
  const source: DirectSource = {
    read(to) {
      // The request, then nothing: the peer waits for the response and the close.
      if (sent) return;
      sent = true;
      setImmediate(() => to[ON_CHUNK](REQUEST_CLOSE));
    },
    cancel() {},
  };
  const sink: DirectSink = {
    write() {
      wrote = true;
    },
    end: () => ended(wrote),
    abort: () => ended(false),
  };
  return directTransport(source, sink);
}

/**
 * A connection that sends one request, and another after each write (one
 * response per write: no pipelining) while `more()` says so.
 */
function client(more: () => boolean, closed: () => void): Transport {
  let reader: DirectReader | null = null;
  let pending = true; // the first request is there at once
  const source: DirectSource = {
    read(to) {
      if (!pending) return void (reader = to);
      pending = false;
      setImmediate(() => to[ON_CHUNK](REQUEST));
    },
    cancel() {},
  };
  const sink: DirectSink = {
    write(chunk) {
      // One write per response, ending with its body: else the next request would go out early.
      if (chunk[chunk.length - 1] !== LAST_BYTE) throw new Error("a response came in pieces");
      if (!more()) return;
      if (reader === null) return void (pending = true);
      const deliver = reader;
      reader = null;
      setImmediate(() => deliver[ON_CHUNK](REQUEST));
    },
    end: closed,
    abort: closed,
  };
  return directTransport(source, sink);
}

/**
 * The runtime's own `Response`. Loading `serve/` puts hussar's constructor
 * in `globalThis.Response` (see `serve/_standard_response.ts`), whose extra
 * work is hussar's: on Node 26 its string responses made the loop below
 * 1-2 µs dearer, which counted as the runtime's.
 */
const NativeResponse: typeof Response = Object.hasOwn(Response, Symbol.for("hussar.stringBody"))
  ? Object.getPrototypeOf(Response)
  : Response;

/**
 * What the runtime's own objects cost for one request of `serve()`'s, made
 * the cheapest way the runtime allows: a `Request` of the same URL with
 * the same header fields appended (as `serve()` does: an init's list of
 * pairs costs more on Node and Bun), and body (read as text for a POST);
 * the runtime's `Response` of the same body, and that body read to the end.
 */
async function measureObjects(total: number): Promise<Cost> {
  const started = start();
  let bytes = 0;
  for (let i = 0; i < total; i++) {
    let response: Response;
    if (METHOD === "GET") {
      const request = new Request(URL_);
      appendFields(request.headers);
      response = new NativeResponse(request.method === "GET" ? HELLO : "");
    } else {
      const request = new Request(URL_, { method: "POST", body: BODY.slice() });
      appendFields(request.headers);
      response = new NativeResponse(await request.text(), {
        headers: { "content-type": "application/json" },
      });
    }
    bytes += (await response.arrayBuffer()).byteLength;
  }
  const cost = costSince(started, total);
  const size = METHOD === "GET" ? HELLO.length : POSTED.length;
  if (bytes !== total * size) throw new Error("objects loop miscounted");
  return cost;
}

function appendFields(fields: Headers): void {
  for (let i = 0; i < HEADERS.length; i++) fields.append(HEADERS[i][0], HEADERS[i][1]);
}

const api = option("api") ?? "serve";
if (!["serve", "core", "objects"].includes(api)) throw new Error(`--api: unknown ${api}`);
const churn = process.argv.includes("--churn");
if (churn && METHOD !== "GET") throw new Error("--churn sends GET only: leave out --method");
if (churn && api === "objects") throw new Error("--churn: --api=serve or --api=core");
const connections = Number(option("connections") ?? (churn ? "50" : "64"));
const requests = Number(option("requests") ?? "200000");
const warmup = Number(option("warmup") ?? "20000");
const run = (total: number): Promise<Cost> =>
  api === "objects"
    ? measureObjects(total)
    : churn
    ? measureChurn(api, connections, total)
    : measure(api, connections, total);
if (warmup > 0) await run(warmup);
const { micros, bytes } = await run(requests);
/** Bytes allocated, said after the CPU figure. */
const heap = bytes === null ? "" : `, ${Math.round(bytes)} B allocated`;
if (churn) {
  console.log(
    `${api}, churn: ${requests} connections of one request, ${connections} at a time: ${
      micros.toFixed(2)
    } µs of CPU${heap} per connection`,
  );
} else if (api === "objects") {
  console.log(
    `${requests} × ${METHOD} (new Request + new Response + arrayBuffer()): ${
      micros.toFixed(2)
    } µs of CPU${heap} each`,
  );
} else {
  console.log(
    `${api}: ${requests} ${METHOD} requests over ${connections} connections: ${
      micros.toFixed(2)
    } µs of CPU${heap} per request`,
  );
}
if (api === "serve" && !churn && !process.argv.includes("--alone")) {
  // The runtime's share, measured the same way (after its own warm-up).
  if (warmup > 0) await measureObjects(warmup);
  const objects = (await measureObjects(requests)).micros;
  console.log(
    `  runtime's Request + Response + body read: ${objects.toFixed(2)} µs; hussar's above it: ${
      (micros - objects).toFixed(2)
    } µs`,
  );
}
