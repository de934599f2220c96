/**
 * A wake-back from a read answered in a host task of its own (a socket
 * callback, as Bun's `data` handler): with the source saying so
 * (`DirectSource.ownTask`) and the connection's last exchange having sent a
 * streamed body (64 KiB or more), the exchange the read starts runs in that
 * task's microtask checkpoint, its streamed body's chunks included, not in
 * the scheduler's next host task, where it would take turns with every other
 * connection's. Other reads (a first request, one after a small answer) stay
 * batched in the next host task: a checkpoint of its own per GET costs more.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { Hussar } from "../../core/mod.ts";
import { httpHandler } from "../../httputil/mod.ts";
import { type DirectReader, type DirectSink, ON_CHUNK } from "../../internal/direct_io.ts";
import { directOnlyTransport } from "../_recording_transport.ts";

const encoder = new TextEncoder();
const CHUNKS = 20;
/** 20 chunks of 4 KiB: 80 KiB, past the 64 KiB after which the next request gets its own task. */
const CHUNK = 4096;

async function* body(): AsyncIterable<Uint8Array> {
  for (let i = 0; i < CHUNKS; i++) yield new Uint8Array(CHUNK).fill(0x61);
}

/**
 * A connection whose requests are handed over in a timer callback each, as a
 * socket's callback hands them, with `ownTask` true while it does when
 * `ownTask` is given. `send(target)` answers what the sink had taken when a
 * host task queued just before the request came ran, then waits for the whole
 * answer.
 */
function connection(ownTask: boolean) {
  let reader: DirectReader | null = null;
  let asked: (() => void) | null = null;
  let inCallback = false;
  let written = "";
  const decoder = new TextDecoder();
  const source = {
    get ownTask(): boolean {
      return ownTask && inCallback;
    },
    read(to: DirectReader): void {
      reader = to;
      asked?.();
    },
    cancel(): void {},
  };
  const sink: DirectSink = {
    write: (chunk) => void (written += decoder.decode(chunk)),
    end() {},
    abort() {},
  };
  const hussar = new Hussar({
    handler: httpHandler((request) =>
      request.head.target === "/stream"
        ? { status: 200, body: body() }
        : { status: 200, body: "hello" }
    ),
  });
  hussar.addConnection(directOnlyTransport(source, sink));
  const send = async (target: string): Promise<string> => {
    written = "";
    if (reader === null) await new Promise<void>((resolve) => (asked = resolve));
    const to = reader!;
    reader = null;
    const seen = await new Promise<string>((resolve) =>
      setTimeout(() => {
        setImmediate(() => resolve(written));
        inCallback = true;
        to[ON_CHUNK](encoder.encode(`GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`));
        inCallback = false;
      }, 0)
    );
    // The whole answer, and the connection reading for the next request.
    const end = target === "/stream" ? "\r\n0\r\n\r\n" : "hello";
    for (let i = 0; i < 1000 && !(written.endsWith(end) && reader !== null); i++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    assert.ok(written.endsWith(end), `the whole answer to ${target}`);
    return seen;
  };
  return { send, close: () => hussar.close() };
}

/** Whether `seen` is a whole streamed answer: every chunk, framed, and the last chunk. */
function assertWholeStream(seen: string): void {
  assert.match(seen, /^HTTP\/1\.1 200 OK\r\n/);
  assert.equal(seen.split(`\r\n${CHUNK.toString(16)}\r\n`).length - 1, CHUNKS, "every chunk");
  assert.ok(seen.endsWith("\r\n0\r\n\r\n"), "and the last chunk");
}

describe("Connection: a wake-back from a read answered in a host task of its own", () => {
  it("after a streamed answer, sends the next streamed body whole in that task", async () => {
    const conn = connection(true);
    assert.equal(await conn.send("/stream"), "", "the first request waits for the next task");
    assertWholeStream(await conn.send("/stream"));
    assertWholeStream(await conn.send("/stream"));
    await conn.close();
  });

  it("after a small answer, leaves the next request to the scheduler's next host task", async () => {
    const conn = connection(true);
    assert.equal(await conn.send("/"), "");
    assert.equal(await conn.send("/"), "");
    assert.equal(await conn.send("/stream"), "");
    await conn.close();
  });

  it("leaves it to the scheduler's next host task when the source does not say so", async () => {
    const conn = connection(false);
    assert.equal(await conn.send("/stream"), "");
    assert.equal(await conn.send("/stream"), "");
    await conn.close();
  });
});
