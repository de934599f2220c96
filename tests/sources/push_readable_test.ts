/**
 * A push-style socket's input to a pull-driven reader (sources/_push_readable.ts), on a socket
 * given paused (Node) or flowing (Bun: a new socket is not paused, its first chunk waits).
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { PushReadable } from "../../sources/_push_readable.ts";
import {
  DIRECT_SINK,
  DIRECT_SOURCE,
  type DirectReader,
  ON_CHUNK,
  ON_READ_ERROR,
} from "../../internal/direct_io.ts";
import { Hussar } from "../../core/mod.ts";
import { BodyCounter } from "./_body_counter.ts";
import type { Transport } from "../../core/transport.ts";
import { Scheduler } from "../../scheduler/mod.ts";
import { until } from "../_until.ts";

/** A socket control that records what it was asked. */
function control(): { calls: string[]; pause(): void; resume(): void; cancelled(): void } {
  const calls: string[] = [];
  return {
    calls,
    pause: () => calls.push("pause"),
    resume: () => calls.push("resume"),
    cancelled: () => calls.push("cancelled"),
  };
}

/** One direct read: its chunk (null at the end), or its failure thrown. */
function readOnce(input: PushReadable): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const reader: DirectReader = { [ON_CHUNK]: resolve, [ON_READ_ERROR]: reject };
    input.read(reader);
  });
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (chunk: Uint8Array | null | undefined) =>
  chunk == null ? chunk : new TextDecoder().decode(chunk);

describe("PushReadable", () => {
  it("paused: the first read resumes the socket, the chunk goes straight to the reader", async () => {
    const socket = control();
    const input = new PushReadable(socket);
    const source = input.direct()!;
    const read = readOnce(input);
    assert.deepEqual(socket.calls, ["resume"]);
    input.push(bytes("GET"));
    assert.equal(text(await read), "GET");
    assert.equal(source, input);
  });

  it("flowing: chunks before any reader wait, in order, for the direct path, then the end", async () => {
    const socket = control();
    const input = new PushReadable(socket, true);
    input.push(bytes("a"));
    input.push(bytes("b"));
    input.end();
    input.direct();
    assert.equal(text(await readOnce(input)), "a");
    assert.equal(text(await readOnce(input)), "b");
    assert.equal(await readOnce(input), null);
    assert.deepEqual(socket.calls, [], "never paused nor resumed");
  });

  it("flowing: chunks before the stream was made are its first, then its end", async () => {
    const input = new PushReadable(control(), true);
    input.push(bytes("x"));
    input.push(bytes("y"));
    input.end();
    const got: string[] = [];
    for await (const chunk of input.stream) got.push(text(chunk)!);
    assert.deepEqual(got, ["x", "y"]);
  });

  it("flowing: the stream made after a failure errors with it", async () => {
    const input = new PushReadable(control(), true);
    input.push(bytes("lost"));
    const failure = new Error("reset by peer");
    input.fail(failure);
    await assert.rejects(input.stream.getReader().read(), failure);
  });

  it("flowing: pauses the socket once 64 KiB wait for a reader, resumes when they are taken", async () => {
    const socket = control();
    const input = new PushReadable(socket, true);
    for (let i = 0; i < 3; i++) input.push(new Uint8Array(16 * 1024));
    assert.deepEqual(socket.calls, []);
    input.push(new Uint8Array(16 * 1024));
    assert.deepEqual(socket.calls, ["pause"]);
    input.direct();
    assert.equal((await readOnce(input))!.length, 16 * 1024);
    assert.deepEqual(socket.calls, ["pause", "resume"]);
  });

  it("ownTask: true only while a chunk goes straight from the callback of a socket whose callbacks are tasks", async () => {
    const seen: string[] = [];
    const tasks = new PushReadable(control(), true, true);
    const reader = (input: PushReadable): DirectReader => ({
      [ON_CHUNK]: (chunk) => seen.push(`${text(chunk)} ${input.ownTask}`),
      [ON_READ_ERROR]: () => {},
    });
    tasks.push(bytes("waited")); // no reader yet: it waits
    tasks.read(reader(tasks));
    await until(() => seen.length === 1, 5000, "the chunk that waited");
    tasks.read(reader(tasks));
    tasks.push(bytes("straight"));
    const plain = new PushReadable(control(), true);
    plain.read(reader(plain));
    plain.push(bytes("node"));
    assert.deepEqual(seen, ["waited false", "straight true", "node false"]);
    assert.equal(tasks.ownTask, false, "not once the chunk is handed over");
  });

  it("take(): a waiting chunk now, resuming below 64 KiB; never the end or a failure", () => {
    const socket = control();
    const input = new PushReadable(socket, true);
    input.direct();
    assert.equal(input.take(), undefined, "nothing waits");
    input.push(new Uint8Array(0));
    assert.equal(input.take(), undefined, "an empty chunk is no news");
    for (let i = 0; i < 4; i++) input.push(new Uint8Array(16 * 1024).fill(i));
    assert.deepEqual(socket.calls, ["pause"]);
    assert.equal(input.take()![0], 0);
    assert.deepEqual(socket.calls, ["pause", "resume"]);
    input.end();
    assert.equal(input.take()![0], 1, "chunks before the end are still taken");
    assert.equal(input.take()![0], 2);
    assert.equal(input.take()![0], 3);
    assert.equal(input.take(), undefined, "the end is read(), not take()");
    assert.deepEqual(socket.calls, ["pause", "resume"], "not resumed once ended");
    const failed = new PushReadable(control(), true);
    failed.fail(new Error("reset"));
    assert.equal(failed.take(), undefined);
  });

  it("finish: reads as ended, not cancelled, without pausing the socket; what comes after is dropped", async () => {
    const socket = control();
    const input = new PushReadable(socket);
    input.direct();
    void readOnce(input); // pending: let go by finish(), never called
    assert.deepEqual(socket.calls, ["resume"]);
    input.finish();
    assert.equal(input.open, false);
    assert.equal(input.cancelled, false, "nothing left unread: no lingering close");
    input.push(bytes("late"));
    assert.equal(await readOnce(input), null);
    assert.deepEqual(socket.calls, ["resume"], "neither paused nor told of a cancel");
  });
});

/** A transport whose input is `input` (read directly) and whose output goes to `output` (or nowhere). */
function pushTransport(input: PushReadable, output?: (chunk: Uint8Array) => void): Transport {
  const address = { transport: "memory", hostname: "", port: 0 } as const;
  return {
    info: { remoteAddr: address, localAddr: address, tls: false },
    get readable(): never {
      throw new Error("read directly");
    },
    get writable(): never {
      throw new Error("written directly");
    },
    [DIRECT_SOURCE]: () => input.direct(),
    [DIRECT_SINK]: () => ({ write: (chunk: Uint8Array) => output?.(chunk), end() {}, abort() {} }),
  } as Transport;
}

describe("PushReadable under a connection", () => {
  it("a thread takes the chunks that waited in the same turn, parking only for later ones", async () => {
    const scheduler = new Scheduler();
    let resumes = 0;
    const got: string[] = [];
    let bytesRead = 0;
    const hussar = new Hussar({
      scheduler,
      *handler(conn) {
        for (let chunk = yield* conn.read(); chunk !== null; chunk = yield* conn.read()) {
          got.push(text(chunk)!);
        }
        bytesRead = conn.bytesRead;
      },
    });
    const input = new PushReadable(control(), true);
    for (const part of ["a", "b", "c"]) input.push(bytes(part));
    const descriptor = hussar.addConnection(pushTransport(input));
    scheduler.watch({ onResume: (thread) => void (thread === descriptor.thread && resumes++) });
    await until(() => got.length === 3, 5000, "the three chunks that waited");
    assert.deepEqual(got, ["a", "b", "c"]);
    assert.equal(resumes, 1, "started, then read the waiting chunks without parking");
    input.push(bytes("d"));
    input.end();
    await hussar.whenEmpty();
    await hussar.close();
    assert.deepEqual(got, ["a", "b", "c", "d"]);
    assert.equal(bytesRead, 4);
  });

  it("a body's reader resumes in the checkpoint of the socket callback that brought its chunk: back-to-back chunks never pause the socket", async () => {
    // A socket given paused (Node), whose host hands it several chunks per poll, each callback
    // followed by its microtasks: a reader woken a host task later lets the next 64 KiB wait,
    // which pauses the socket until then (a pause and a resume, system calls, per two chunks).
    const CHUNK = 64 * 1024;
    const CHUNKS = 8;
    const calls: string[] = [];
    let paused = true;
    const socket = {
      pause: () => void (calls.push("pause"), paused = true),
      resume: () => void (calls.push("resume"), paused = false),
      cancelled: () => void calls.push("cancelled"),
    };
    let answer = "";
    const app = new BodyCounter();
    const hussar = app.hussar;
    const input = new PushReadable(socket);
    hussar.addConnection(
      pushTransport(input, (chunk) => (answer += new TextDecoder().decode(chunk))),
    );
    await until(() => !paused, 5000, "the first read resumes the socket");
    input.push(
      bytes(
        `POST /upload HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: ${
          CHUNK * CHUNKS
        }\r\n\r\n`,
      ),
    );
    await until(() => app.reading, 5000, "the app reads the body");
    calls.length = 0;
    let sent = 0;
    let flowing: string[] = [];
    while (sent < CHUNKS) {
      // One poll of the host loop: chunks while the socket flows, each callback's microtasks after it.
      await new Promise((resolve) => setTimeout(resolve, 0));
      while (!paused && sent < CHUNKS) {
        input.push(new Uint8Array(CHUNK));
        // Before the app, which has it all with the last chunk, answers and closes.
        if (++sent === CHUNKS) flowing = calls.slice();
        for (let i = 0; i < 8; i++) await Promise.resolve();
      }
    }
    assert.deepEqual(flowing, [], "never paused nor resumed while the body flowed");
    await until(() => answer.endsWith(String(CHUNK * CHUNKS)), 5000, "the answer");
    assert.equal(app.total, CHUNK * CHUNKS);
    await hussar.whenEmpty();
    await hussar.close();
  });
});
