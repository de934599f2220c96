/**
 * CPU and bytes allocated per streamed response of `serve()` without sockets:
 * in-memory keep-alive connections each `GET /stream` (`_handlers.ts`: 1 MiB
 * as a `ReadableStream` of 16 × 64 KiB chunks made in `pull`), the next
 * request once the whole response is written. The sink takes every write at
 * once, so what is measured is hussar's path from the program's stream to
 * the transport: no system call, no backpressure. For profiling and
 * instruction counts (`valgrind --tool=callgrind`), as `engine.ts` is for
 * `GET /`.
 *
 *   deno run -A scripts/bench/engine_stream.ts [--connections=4] [--responses=2000] [--warmup=300] [--no-writev]
 *   bun scripts/bench/engine_stream.ts
 *   node .build/bench/esm/scripts/bench/engine_stream.js   (after the npm build)
 *
 * `--no-writev` gives the sink no gathered write, as a transport without
 * one (each buffer then goes on its own, small ones joined). `--api=core`
 * serves the core API's app instead: an async generator of the 16 chunks
 * (views of one buffer, so the copy a fresh chunk costs is not measured),
 * sent chunked.
 * `--deno-transport` puts the real `DenoConnTransport` (`sources/_deno_transport.ts`)
 * between the engine and the client, over a stand-in `Deno.Conn` whose
 * writes settle a reaction later (`Promise.resolve(n)`), as Deno's do: the
 * Deno path's write reactions and the pump's waits for them, without the op.
 * Prints how the response was framed (`content-length` or `chunked`) and
 * the writes per response.
 *
 * @module
 */
import { Hussar } from "../../core/hussar.ts";
import type { Transport } from "../../core/transport.ts";
import { type Cost, directTransport, served, TIMEOUTS } from "./_direct.ts";
import { type DirectReader, type DirectSink, ON_CHUNK } from "../../internal/direct_io.ts";
import { type HttpApp, httpHandler } from "../../httputil/server.ts";
import { fetchApp } from "../../serve/fetch_app.ts";
import { fetchHandler, STREAM_CHUNK, STREAM_CHUNKS } from "./_handlers.ts";
import { option } from "./_args.ts";
import process from "node:process";
import { DenoConnTransport } from "../../sources/_deno_transport.ts";

const REQUEST = new TextEncoder().encode(
  "GET /stream HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n",
);
const BODY_BYTES = STREAM_CHUNK * STREAM_CHUNKS;
const WRITEV = !process.argv.includes("--no-writev");
const DENO_TRANSPORT = process.argv.includes("--deno-transport");
const LAST_CHUNK = [0x30, 0x0d, 0x0a, 0x0d, 0x0a]; // "0\r\n\r\n"
const API = option("api") ?? "serve";
if (API !== "serve" && API !== "core") throw new Error(`--api: unknown ${API}`);

const chunk = new Uint8Array(STREAM_CHUNK).fill(0x61);
async function* chunks(): AsyncIterable<Uint8Array> {
  for (let i = 0; i < STREAM_CHUNKS; i++) yield chunk;
}
/** The core API's `/stream`: a plain response whose body is an async generator. */
const coreApp: HttpApp = () => ({
  status: 200,
  headers: [["content-type", "application/octet-stream"]],
  body: chunks(),
});

/** How the responses came: their framing and the sink's write calls. */
const seen = { framing: "", writes: 0 };

/**
 * Reads one response after another off the writes, and says when each is
 * whole. Allocates per response, not per write (a string per head), so the
 * heap counted per chunk is the server's.
 */
class ResponseReader {
  #head = "";
  /** How much of "\r\n\r\n" the head's last bytes were. */
  #crlf = 0;
  /** Body bytes still to come (Content-Length), -1 for chunked, null while in the head. */
  #left: number | null = null;
  /** The body's last 5 bytes (a chunked body's end), and how many of them there are yet. */
  readonly #tail = new Uint8Array(5);
  #tailed = 0;
  #bytes = 0;

  /** Takes `chunk`; whether it ended the response. */
  take(chunk: Uint8Array): boolean {
    let body = chunk;
    if (this.#left === null) {
      // The head's end looked for byte by byte (a head may be cut anywhere), decoded once.
      let end = -1;
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i];
        const want = this.#crlf % 2 === 0 ? 0x0d : 0x0a;
        this.#crlf = byte === want ? this.#crlf + 1 : byte === 0x0d ? 1 : 0;
        if (this.#crlf === 4) {
          end = i + 1;
          break;
        }
      }
      const head = chunk.subarray(0, end === -1 ? chunk.length : end);
      // `apply`, not a spread: a spread steps the array's iterator, a result object per byte.
      this.#head += String.fromCharCode.apply(null, head as unknown as number[]);
      if (end === -1) return false;
      const length = /\r\ncontent-length: (\d+)/i.exec(this.#head)?.[1];
      seen.framing = length === undefined ? "chunked" : "content-length";
      this.#left = length === undefined ? -1 : Number(length);
      body = chunk.subarray(end);
      this.#head = "";
      this.#crlf = 0;
    }
    this.#bytes += body.length;
    if (this.#left >= 0) {
      this.#left -= body.length;
      if (this.#left > 0) return false;
    } else {
      const tail = this.#tail;
      for (let i = Math.max(0, body.length - 5); i < body.length; i++) {
        tail.copyWithin(0, 1);
        tail[4] = body[i];
        if (this.#tailed < 5) this.#tailed++;
      }
      if (this.#tailed < 5) return false;
      for (let i = 0; i < 5; i++) if (tail[i] !== LAST_CHUNK[i]) return false;
    }
    if (this.#bytes < BODY_BYTES) throw new Error(`a response of ${this.#bytes} bytes`);
    this.#left = null;
    this.#tailed = 0;
    this.#bytes = 0;
    return true;
  }
}

/** A connection that sends the next `GET /stream` once a response is whole, while `more()`. */
function client(more: () => boolean, closed: () => void): Transport {
  let reader: DirectReader | null = null;
  let pending = true;
  const responses = new ResponseReader();
  const send = (): void => {
    if (!more()) return;
    if (reader === null) return void (pending = true);
    const deliver = reader;
    reader = null;
    setImmediate(() => deliver[ON_CHUNK](REQUEST));
  };
  const sink: DirectSink = {
    write(chunk) {
      seen.writes++;
      if (responses.take(chunk)) send();
    },
    end: closed,
    abort: closed,
  };
  if (WRITEV) {
    sink.writev = (chunks) => {
      seen.writes++;
      for (const chunk of chunks) if (responses.take(chunk)) send();
    };
  }
  return directTransport({
    read(to) {
      if (!pending) return void (reader = to);
      pending = false;
      setImmediate(() => to[ON_CHUNK](REQUEST));
    },
    cancel() {},
  }, sink);
}

const INFO = {
  remoteAddr: { transport: "tcp" as const, hostname: "127.0.0.1", port: 1 },
  localAddr: { transport: "tcp" as const, hostname: "127.0.0.1", port: 2 },
  tls: false,
};

/** {@linkcode client} through a `DenoConnTransport` over a stand-in `Deno.Conn`. */
function denoClient(more: () => boolean, closed: () => void): Transport {
  let reading: ((n: number | null) => void) | null = null;
  let into: Uint8Array | null = null;
  let pending = true;
  const responses = new ResponseReader();
  const give = (): void => {
    const resolve = reading!;
    reading = null;
    into!.set(REQUEST);
    resolve(REQUEST.length);
  };
  const conn = {
    read(buffer: Uint8Array): Promise<number | null> {
      return new Promise((resolve) => {
        into = buffer;
        reading = resolve;
        if (pending) {
          pending = false;
          setImmediate(give);
        }
      });
    },
    write(bytes: Uint8Array): Promise<number> {
      seen.writes++;
      if (responses.take(bytes) && more()) {
        if (reading === null) pending = true;
        else setImmediate(give);
      }
      return Promise.resolve(bytes.length);
    },
    closeWrite: (): Promise<void> => Promise.resolve(),
    close: closed,
  } as unknown as ConstructorParameters<typeof DenoConnTransport>[0];
  return new DenoConnTransport(conn, INFO);
}

/** Measures `total` responses over `connections` connections. */
function measure(connections: number, total: number): Promise<Cost> {
  const app = API === "core" ? coreApp : fetchApp(fetchHandler);
  seen.writes = 0;
  const hussar = new Hussar({ handler: httpHandler(app, TIMEOUTS) });
  return served(hussar, connections, total, DENO_TRANSPORT ? denoClient : client);
}

const connections = Number(option("connections") ?? "4");
const responses = Number(option("responses") ?? "2000");
const warmup = Number(option("warmup") ?? "300");
if (warmup > 0) await measure(connections, warmup);
const { micros, bytes } = await measure(connections, responses);
const heap = bytes === null ? "" : `, ${Math.round(bytes)} B allocated`;
console.log(
  `${API}: ${responses} GET /stream (${seen.framing}, ${
    (seen.writes / responses).toFixed(1)
  } writes${WRITEV ? "" : " without writev"}${
    DENO_TRANSPORT ? ", DenoConnTransport" : ""
  }) over ${connections} connections: ${micros.toFixed(1)} µs of CPU${heap} per response`,
);
