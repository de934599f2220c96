/**
 * The `raw` contender: a ceiling, not a server. A loop over the runtime's
 * socket API (`Deno.listen`, `Bun.listen`, `node:net`) that counts the
 * `\r\n\r\n` that end request heads and writes one canned hello-world
 * response for each; it parses nothing and reads no body. It answers the
 * `memory`, `get`, `pipeline` and `churn` cases (for `churn`, a request
 * that says `close` gets a canned `Connection: close` response, then a close).
 *
 * @module
 */
import { createServer, type Socket } from "node:net";
import { HELLO } from "./_handlers.ts";
import { httpDate } from "../../httputil/date.ts";
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

/** A connection's scan state: how much of `\r\n\r\n` the last chunk ended with. */
interface RawState {
  matched: number;
}

const CR = 13;
const LF = 10;

/** The heads `chunk` completes; `state.matched` carries a partial `\r\n\r\n` across chunks. */
function countHeads(state: RawState, chunk: Uint8Array): number {
  let heads = 0;
  let matched = state.matched;
  for (let i = 0; i < chunk.length; i++) {
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
  outer: for (let i = 0; i + CLOSE.length <= chunk.length; i++) {
    for (let j = 0; j < CLOSE.length; j++) if (chunk[i + j] !== CLOSE[j]) continue outer;
    return true;
  }
  return false;
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
        open: (socket) => void (socket.data = { matched: 0 }),
        data: (socket, chunk) => {
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
      const state: RawState = { matched: 0 };
      socket.on("data", (chunk: Uint8Array) => {
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

async function serveDeno(conn: DenoConn): Promise<void> {
  const buffer = new Uint8Array(4096);
  const state: RawState = { matched: 0 };
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      const chunk = buffer.subarray(0, n);
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
