/**
 * The `raw` contender: a ceiling, not a server. A loop over the runtime's
 * socket API (`Deno.listen`, `Bun.listen`, `node:net`) that counts the
 * `\r\n\r\n` that end request heads and writes one canned hello-world
 * response for each; it parses nothing else. It answers the `memory`,
 * `get`, `pipeline`, `churn` and `upload` cases (for `churn`, a request
 * that says `close` gets a canned `Connection: close` response, then a
 * close). For `upload`, a read that starts with `P` starts a POST: its
 * `Content-Length` is found in its head, that many bytes are counted and
 * skipped, and the answer is their count; on Deno the body is read into one
 * 64 KiB buffer per connection, reused (the least copying and allocation a
 * loop over `Deno.Conn.read` can do).
 *
 * @module
 */
import { createServer, type Socket } from "node:net";
import { HELLO } from "./_handlers.ts";
import { httpDate } from "../../httputil/date.ts";
import { indexOf } from "./_scan.ts";
import type { BunListen, DenoConn, DenoListen } from "./_socket_types.ts";

const encoder = new TextEncoder();
let canned = cannedResponse("");
let cannedClose = cannedResponse("connection: close\r\n");
// The Date field changes once a second; so do the canned responses.
setInterval(() => {
  canned = cannedResponse("");
  cannedClose = cannedResponse("connection: close\r\n");
}, 1000).unref?.();

function cannedResponse(extra: string): Uint8Array {
  return encoder.encode(
    `HTTP/1.1 200 OK\r\ncontent-type: text/plain;charset=UTF-8\r\n` +
      `content-length: ${HELLO.length}\r\ndate: ${httpDate()}\r\n${extra}\r\n${HELLO}`,
  );
}

/**
 * A connection's scan state: how much of `\r\n\r\n` the last chunk ended
 * with; for an upload, the body bytes still owed, the body's length, and the
 * start of a POST head that has not ended yet.
 */
interface RawState {
  matched: number;
  owed: number;
  total: number;
  head: Uint8Array | null;
}

function rawState(): RawState {
  return { matched: 0, owed: 0, total: 0, head: null };
}

const CR = 13;
const LF = 10;

/**
 * The heads `chunk` completes; `state.matched` carries a partial `\r\n\r\n` across chunks.
 * Lengths are read once, outside the loops: Node 26's optimized code calls a typed array's
 * `length` getter (a builtin) at each read here, which was a fifth of the raw loop's instructions.
 */
function countHeads(state: RawState, chunk: Uint8Array): number {
  let heads = 0;
  let matched = state.matched;
  const length = chunk.length;
  for (let i = 0; i < length; i++) {
    const byte = chunk[i];
    if (byte === (matched % 2 === 0 ? CR : LF)) {
      if (++matched === 4) {
        heads++;
        matched = 0;
      }
    } else {
      matched = byte === CR ? 1 : 0;
    }
  }
  state.matched = matched;
  return heads;
}

const CLOSE = new TextEncoder().encode("lose\r\n");

/** Whether `chunk` asks to close (the churn case's `Connection: close`): it holds `lose\r\n`. */
function asksClose(chunk: Uint8Array): boolean {
  return indexOf(chunk, CLOSE) !== -1;
}

const P = 0x50;
const HEAD_END = new TextEncoder().encode("\r\n\r\n");
const MAX_HEAD = 16 * 1024;
const latin1 = new TextDecoder("latin1");

/** Whether `chunk` belongs to an upload: a body is owed, a POST head is open, or one starts. */
function inUpload(state: RawState, chunk: Uint8Array): boolean {
  return state.owed > 0 || state.head !== null || (state.matched === 0 && chunk[0] === P);
}

/**
 * Takes an upload's `chunk`: the head (its `Content-Length`), then the body,
 * counted and dropped. Returns the answer once the body is complete, else
 * null. The loop gives it the requests of one connection one at a time, as
 * wrk sends them (nothing after a body before its answer).
 */
function uploadStep(state: RawState, chunk: Uint8Array): Uint8Array | null {
  let body = chunk;
  if (state.owed === 0) {
    const head = state.head === null ? chunk : concat(state.head, chunk);
    const end = indexOf(head, HEAD_END);
    if (end === -1) {
      if (head.length > MAX_HEAD) throw new Error("head too large");
      state.head = head === chunk ? chunk.slice() : head; // the read buffer is reused
      return null;
    }
    state.head = null;
    const length = /\r\ncontent-length: *(\d+)/i.exec(latin1.decode(head.subarray(0, end)));
    state.total = state.owed = length === null ? 0 : Number(length[1]);
    body = head.subarray(end + HEAD_END.length);
  }
  state.owed -= Math.min(state.owed, body.length);
  if (state.owed > 0) return null;
  const text = String(state.total);
  return encoder.encode(
    `HTTP/1.1 200 OK\r\ncontent-type: text/plain;charset=UTF-8\r\n` +
      `content-length: ${text.length}\r\ndate: ${httpDate()}\r\n\r\n${text}`,
  );
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The answers to `heads` requests, one canned response each. */
function answers(heads: number): Uint8Array {
  if (heads === 1) return canned;
  const out = new Uint8Array(canned.length * heads);
  for (let i = 0; i < heads; i++) out.set(canned, i * canned.length);
  return out;
}

/** Starts the raw loop on `hostname:port`; resolves once it listens. */
export async function startRaw(hostname: string, port: number): Promise<void> {
  const g = globalThis as { Deno?: DenoListen; Bun?: BunListen<RawState> };
  if (g.Deno !== undefined) {
    const listener = g.Deno.listen({ hostname, port });
    (async () => {
      for await (const conn of listener) void serveDeno(conn);
    })();
  } else if (g.Bun !== undefined) {
    g.Bun.listen({
      hostname,
      port,
      socket: {
        open: (socket) => void (socket.data = rawState()),
        data: (socket, chunk) => {
          if (inUpload(socket.data, chunk)) {
            const answer = uploadStep(socket.data, chunk);
            if (answer !== null) socket.write(answer); // a few bytes: the kernel takes them
            return;
          }
          const heads = countHeads(socket.data, chunk);
          if (heads === 0) return;
          if (asksClose(chunk)) {
            socket.write(cannedClose); // one request per connection: the kernel takes it
            socket.end();
          } else {
            socket.write(answers(heads)); // a few hundred bytes: the kernel takes them
          }
        },
        close: () => {},
      },
    });
  } else {
    const server = createServer({ noDelay: true }, (socket: Socket) => {
      const state = rawState();
      socket.on("data", (chunk: Uint8Array) => {
        if (inUpload(state, chunk)) {
          const answer = uploadStep(state, chunk);
          if (answer !== null) socket.write(answer);
          return;
        }
        const heads = countHeads(state, chunk);
        if (heads === 0) return;
        if (asksClose(chunk)) socket.end(cannedClose);
        else socket.write(answers(heads));
      });
      socket.on("error", () => socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(port, hostname, resolve));
  }
}

/** Read buffer of a connection while it reads an upload's body: made once, then reused. */
const BODY_READ = 64 * 1024;

async function serveDeno(conn: DenoConn): Promise<void> {
  let buffer = new Uint8Array(4096);
  const state = rawState();
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      const chunk = buffer.subarray(0, n);
      if (inUpload(state, chunk)) {
        const answer = uploadStep(state, chunk);
        if (state.owed > buffer.length && buffer.length < BODY_READ) {
          buffer = new Uint8Array(BODY_READ);
        }
        if (answer !== null) {
          for (let at = 0; at < answer.length;) at += await conn.write(answer.subarray(at));
        }
        continue;
      }
      const heads = countHeads(state, chunk);
      if (heads === 0) continue;
      const close = asksClose(chunk);
      const out = close ? cannedClose : answers(heads);
      for (let at = 0; at < out.length;) at += await conn.write(out.subarray(at));
      if (close) break;
    }
  } catch {
    // The peer went away.
  }
  conn.close();
}
