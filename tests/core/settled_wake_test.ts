import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { Hussar } from "../../core/mod.ts";
import type { Transport } from "../../core/transport.ts";
import { httpHandler } from "../../httputil/mod.ts";
import { type DirectReader, type DirectSink, ON_CHUNK } from "../../internal/direct_io.ts";
import { countHostTasks, directOnlyTransport, onceSource } from "../_recording_transport.ts";
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const GET = encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n");

/**
 * A transport whose reads are answered by the test (`deliver`) from a
 * Promise reaction, as Deno's `conn.read()` settles; `settles` says so to
 * the connection or not. Writes are taken at once and counted.
 */
function promiseTransport(settles: boolean): {
  transport: Transport;
  /** Resolves once the connection has asked for bytes (a read is pending). */
  reading(): Promise<void>;
  /** Answers the pending read with `chunk`, from a Promise reaction. */
  deliver(chunk: Uint8Array): void;
  writes: Uint8Array[];
  /** Reads the connection started. */
  reads(): number;
} {
  let reader: DirectReader | null = null;
  let asked: (() => void) | null = null;
  let reads = 0;
  const writes: Uint8Array[] = [];
  const source = {
    settles,
    read(to: DirectReader): void {
      reads++;
      reader = to;
      asked?.();
      asked = null;
    },
    cancel(): void {},
  };
  const sink: DirectSink = {
    write: (chunk) => void writes.push(chunk),
    end() {},
    abort() {},
  };
  const transport = directOnlyTransport(source, sink);
  return {
    transport,
    reading: () =>
      reader !== null ? Promise.resolve() : new Promise((resolve) => (asked = resolve)),
    deliver(chunk) {
      const to = reader!;
      reader = null;
      void Promise.resolve().then(() => to[ON_CHUNK](chunk));
    },
    writes,
    reads: () => reads,
  };
}

/** A host task queued now: it notes "host task" in `order` when it runs. */
function hostTaskAfter(order: string[]): Promise<void> {
  return new Promise((resolve) =>
    setImmediate(() => {
      order.push("host task");
      resolve();
    })
  );
}

/** What ran first once bytes came from a Promise reaction: the thread that read them, or a host task queued before. */
async function firstAfterDelivery(settles: boolean): Promise<string[]> {
  const order: string[] = [];
  const { transport, reading, deliver } = promiseTransport(settles);
  const hussar = new Hussar({
    *handler(conn) {
      const chunk = yield* conn.read();
      order.push(`read ${chunk?.length}`);
      conn.close();
    },
  });
  hussar.addConnection(transport);
  await reading();
  const hostTask = hostTaskAfter(order);
  deliver(encode("abc"));
  await hostTask;
  await hussar.whenEmpty();
  await hussar.close();
  return order;
}

/**
 * A server whose app answers when the test calls `answer`, its first
 * connection added and reading; `second` is a connection to add.
 */
async function appAnsweringLater() {
  const first = promiseTransport(true);
  const second = promiseTransport(true);
  let answered!: (response: { status: number; body: string }) => void;
  let called!: () => void;
  const appCalled = new Promise<void>((resolve) => (called = resolve));
  const hussar = new Hussar({
    handler: httpHandler(() => {
      called();
      return new Promise((resolve) => (answered = resolve));
    }),
  });
  hussar.addConnection(first.transport);
  await first.reading();
  const answer = (response: { status: number; body: string }): void => answered(response);
  return { first, second, hussar, appCalled, answer };
}

describe("Connection: a wake-back from a Promise-based read", () => {
  it("resumes the thread in the same microtask checkpoint when the source says its reads settle", async () => {
    assert.deepEqual(await firstAfterDelivery(true), ["read 3", "host task"]);
  });

  it("resumes it on a host task of the scheduler's otherwise", async () => {
    assert.deepEqual(await firstAfterDelivery(false), ["host task", "read 3"]);
  });

  it("serves keep-alive requests answered at once with no host task each, watch for the peer's end included", async () => {
    const REQUESTS = 64;
    const { transport, reading, deliver, writes } = promiseTransport(true);
    const hussar = new Hussar({ handler: httpHandler(() => ({ status: 200, body: "hi" })) });
    hussar.addConnection(transport);
    const hostTasks = await countHostTasks(async () => {
      for (let i = 0; i < REQUESTS; i++) {
        await reading();
        deliver(GET);
      }
      await reading();
    });
    assert.equal(writes.length, REQUESTS, "every request answered");
    assert.ok(
      hostTasks <= REQUESTS / 8,
      `${hostTasks} host tasks for ${REQUESTS} requests (a watch's or a wake's each would be ${REQUESTS})`,
    );
    await hussar.close();
  });

  it("starts the watch for the peer's end of an exchange answered later in the host task of the scheduler's next tick", async () => {
    const { first, second, hussar, appCalled, answer } = await appAnsweringLater();
    const hostTasks = await countHostTasks(async () => {
      first.deliver(GET);
      await appCalled; // the exchange waits for its app: its watch is to start after this task
      hussar.addConnection(second.transport); // a thread to start: the scheduler asks for a tick
      await first.reading(); // the watch's read
      await second.reading();
    });
    assert.equal(
      hostTasks,
      1,
      `${hostTasks} host tasks (the watch's own and the tick's would be 2)`,
    );
    answer({ status: 200, body: "hi" });
    await new Promise((resolve) => setImmediate(resolve)); // its thread resumes before this
    assert.equal(first.writes.length, 1, "the exchange answered");
    await hussar.close();
  });

  it("starts no watch for an exchange whose app answered before the host task, its wake-back taken by a tick", async () => {
    const { first, second, hussar, appCalled, answer } = await appAnsweringLater();
    first.deliver(encode("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
    await appCalled; // the exchange waits for its app: its watch is to start after this task
    // As under churn: an accepted connection asks for a tick, which then takes the wake-back of
    // an app that answers meanwhile (no microtask tick while one is coming).
    hussar.addConnection(second.transport);
    answer({ status: 200, body: "hi" });
    await second.reading(); // the tick ran
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(first.writes.length, 1, "the exchange answered");
    // A watch's read here would be cancelled by the close (on Deno, a rejected op and an error).
    assert.equal(first.reads(), 1, "the head's read alone");
    await hussar.close();
  });
});

/**
 * A transport whose writes return a Promise the test settles (`settle`), as
 * Deno's `conn.write()` does; reads answer `input` once, then wait.
 */
function pendingWriteTransport(input: Uint8Array | null): {
  transport: Transport;
  /** Resolves once a write is pending. */
  writing(): Promise<void>;
  /** Settles the pending write, from a Promise reaction. */
  settle(): void;
  written: Uint8Array[];
} {
  let pending: (() => void) | null = null;
  let asked: (() => void) | null = null;
  const written: Uint8Array[] = [];
  const sink: DirectSink = {
    write(chunk) {
      written.push(chunk);
      return new Promise<void>((resolve) => {
        pending = resolve;
        asked?.();
        asked = null;
      });
    },
    end() {},
    abort() {},
  };
  const transport = directOnlyTransport(onceSource(input, true), sink);
  return {
    transport,
    writing: () =>
      pending !== null ? Promise.resolve() : new Promise((resolve) => (asked = resolve)),
    settle() {
      const resolve = pending!;
      pending = null;
      resolve();
    },
    written,
  };
}

/** Chunks of 1 KiB in {@linkcode streamPastHighWaterMark}'s response. */
const CHUNKS = 32;

/**
 * Streams {@linkcode CHUNKS} chunks to a connection whose high-water mark is
 * below one and whose writes settle when the test has read them: the host
 * tasks run meanwhile and the threads' resumes.
 */
async function streamPastHighWaterMark(): Promise<{ hostTasks: number; resumed: number }> {
  const { transport, writing, settle, written } = pendingWriteTransport(GET);
  const chunk = new Uint8Array(1024).fill(0x61);
  async function* body(): AsyncIterable<Uint8Array> {
    for (let i = 0; i < CHUNKS; i++) yield chunk;
  }
  const hussar = new Hussar({
    highWaterMark: 512,
    handler: httpHandler(() => ({ status: 200, body: body() })),
  });
  let resumed = 0;
  const unwatch = hussar.scheduler.watch({ onResume: () => void resumed++ });
  hussar.addConnection(transport);
  let text = "";
  const hostTasks = await countHostTasks(async () => {
    while (!text.endsWith("0\r\n\r\n")) {
      await writing();
      text += new TextDecoder().decode(written.at(-1));
      settle();
    }
  });
  unwatch();
  assert.equal(text.split("400\r\n").length - 1, CHUNKS, "every chunk sent");
  await hussar.close();
  return { hostTasks, resumed };
}

describe("Connection: a wake-back from a write that settles", () => {
  it("resumes a thread parked on output in the microtask checkpoint where the write settles", async () => {
    const order: string[] = [];
    const { transport, writing, settle } = pendingWriteTransport(null);
    const hussar = new Hussar({
      highWaterMark: 4,
      *handler(conn) {
        conn.write(encode("more than four bytes"));
        yield* conn.flush();
        order.push("flushed");
        conn.close();
      },
    });
    hussar.addConnection(transport);
    await writing();
    const hostTask = hostTaskAfter(order);
    settle();
    await hostTask;
    await hussar.whenEmpty();
    await hussar.close();
    assert.deepEqual(order, ["flushed", "host task"]);
  });

  it("streams a response past the high-water mark with no host task per chunk", async () => {
    const { hostTasks } = await streamPastHighWaterMark();
    assert.ok(
      hostTasks <= CHUNKS / 4,
      `${hostTasks} host tasks for ${CHUNKS} chunks (a wake's each would be ${CHUNKS})`,
    );
  });

  it("waits for a stream's writes past the high-water mark in their reactions: the thread resumes once per run of chunks", async () => {
    const { resumed } = await streamPastHighWaterMark();
    // Waited for by the thread (its pump handing back, then flush()), a resume per chunk.
    assert.ok(resumed <= CHUNKS / 4, `${resumed} resumes for ${CHUNKS} chunks`);
  });
});
