/**
 * The `floor` contender: the least work any fetch-style server must do on
 * this runtime, to show how far the runtime itself lets one go. It reads
 * with the runtime's own socket API (`Deno.listen`, `Bun.listen`,
 * `node:net`), builds a genuine `Request` for each request, calls the
 * benchmark's fetch handler, reads the `Response` body and writes the bytes.
 * It checks nothing, has no limits, no deadlines and no streaming: a
 * conforming server can only be slower. Per connection it keeps one small
 * object (and on Deno a 4 KiB read buffer). It answers the `footprint`, `memory`, `get`,
 * `post` and `pipeline` cases (bodies with a `Content-Length` only).
 *
 * @module
 */
import { createServer, type Socket } from "node:net";
import { setImmediate } from "node:timers";
import { fetchHandler } from "./_handlers.ts";
import { STATUS_TEXT } from "../../httputil/status.ts";
import { httpDate } from "../../httputil/date.ts";
import { concatBytes } from "../../internal/bytes.ts";
import type { BunListen, BunSocket, DenoConn, DenoListen } from "./_socket_types.ts";
import { indexOf } from "./_scan.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("latin1");
const HEAD_END = encoder.encode("\r\n\r\n");

/** One connection's unparsed bytes, answered request by request, in order. */
class FloorConnection {
  #pending: Uint8Array = new Uint8Array(0);
  #queue: Promise<void> = Promise.resolve();
  /** Bytes that did not fit into the socket yet (Bun). */
  unsent: Uint8Array | null = null;

  constructor(readonly origin: string) {}

  /** Takes bytes from the peer; `write` gets the answers to every request they complete. */
  feed(chunk: Uint8Array, write: (bytes: Uint8Array) => unknown): void {
    // Joined only behind a partial request: the floor copies nothing it need not.
    this.#pending = this.#pending.length === 0 ? chunk : concatBytes([this.#pending, chunk]);
    this.#queue = this.#queue.then(async () => {
      const out = await this.#answerComplete();
      if (out.length > 0) await write(out);
    }).catch(() => {}); // the peer went away: nothing to answer
  }

  async #answerComplete(): Promise<Uint8Array> {
    const answers: Uint8Array[] = [];
    for (;;) {
      const bytes = this.#pending;
      const end = indexOf(bytes, HEAD_END);
      if (end === -1) break;
      const lines = decoder.decode(bytes.subarray(0, end)).split("\r\n");
      const [method, target] = lines[0].split(" ");
      const headers: [string, string][] = [];
      let length = 0;
      for (let i = 1; i < lines.length; i++) {
        const colon = lines[i].indexOf(":");
        const name = lines[i].slice(0, colon).toLowerCase();
        const value = lines[i].slice(colon + 1).trim();
        if (name === "content-length") length = Number(value);
        headers.push([name, value]);
      }
      const bodyStart = end + HEAD_END.length;
      if (bytes.length < bodyStart + length) break;
      const body = length === 0 ? null : bytes.slice(bodyStart, bodyStart + length);
      this.#pending = bytes.subarray(bodyStart + length);
      const request = new Request(this.origin + target, { method, headers, body });
      answers.push(await answer(request));
    }
    return concatBytes(answers);
  }
}

let turn: (() => void)[] | null = null;

/**
 * Runs `write` once this event-loop turn's reads are answered, with every
 * other write of the turn, as hussar's scheduler does. On Node this doubles
 * the floor's req/s (the peer is woken once per batch, not once per
 * synchronous write); on Deno and Bun it measured slower, so they write at once.
 */
function later(write: () => void): void {
  if (turn === null) {
    const writes: (() => void)[] = turn = [];
    setImmediate(() => {
      turn = null;
      for (const run of writes) run();
    });
  }
  turn.push(write);
}

async function answer(request: Request): Promise<Uint8Array> {
  const response = await fetchHandler(request);
  // Read as a stream: cheaper than arrayBuffer() on Node, the same elsewhere.
  const parts: Uint8Array[] = [];
  const reader = response.body?.getReader();
  for (let step = await reader?.read(); step && !step.done; step = await reader!.read()) {
    parts.push(step.value);
  }
  const body = concatBytes(parts);
  const reason = response.statusText || STATUS_TEXT[response.status];
  let head = `HTTP/1.1 ${response.status} ${reason}\r\n`;
  response.headers.forEach((value, name) => (head += `${name}: ${value}\r\n`));
  head += `content-length: ${body.length}\r\ndate: ${httpDate()}\r\n\r\n`;
  const out = new Uint8Array(head.length + body.length);
  encoder.encodeInto(head, out);
  out.set(body, head.length);
  return out;
}

/** Starts the floor contender on `hostname:port`; resolves once it listens. */
export async function startFloor(hostname: string, port: number): Promise<void> {
  const origin = `http://${hostname}:${port}`;
  const g = globalThis as { Deno?: DenoListen; Bun?: BunListen<FloorConnection> };
  if (g.Deno !== undefined) {
    const listener = g.Deno.listen({ hostname, port });
    (async () => {
      for await (const conn of listener) void serveDeno(conn, new FloorConnection(origin));
    })();
  } else if (g.Bun !== undefined) {
    g.Bun.listen({
      hostname,
      port,
      socket: {
        open: (socket) => void (socket.data = new FloorConnection(origin)),
        data: (socket, chunk) => socket.data.feed(chunk, (bytes) => writeBun(socket, bytes)),
        drain: (socket) => {
          const unsent = socket.data.unsent;
          socket.data.unsent = null;
          if (unsent !== null) writeBun(socket, unsent);
        },
        close: () => {},
      },
    });
  } else {
    const server = createServer({ noDelay: true }, (socket: Socket) => {
      const connection = new FloorConnection(origin);
      socket.on(
        "data",
        (chunk: Uint8Array) => connection.feed(chunk, (bytes) => later(() => socket.write(bytes))),
      );
      socket.on("error", () => socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(port, hostname, resolve));
  }
}

async function serveDeno(conn: DenoConn, connection: FloorConnection): Promise<void> {
  const buffer = new Uint8Array(4096);
  const write = async (bytes: Uint8Array): Promise<void> => {
    for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
  };
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      connection.feed(buffer.slice(0, n), write);
    }
  } catch {
    // The peer went away.
  }
  conn.close();
}

function writeBun(socket: BunSocket<FloorConnection>, bytes: Uint8Array): void {
  const unsent = socket.data.unsent;
  if (unsent !== null) {
    // Behind bytes still waiting for `drain`: queue after them, in order.
    socket.data.unsent = concatBytes([unsent, bytes]);
    return;
  }
  const written = socket.write(bytes);
  if (written >= 0 && written < bytes.length) socket.data.unsent = bytes.subarray(written);
}
