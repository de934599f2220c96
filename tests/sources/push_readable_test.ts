/**
 * A push-style socket's input to a pull-driven reader (sources/_push_readable.ts), on a socket
 * given paused (Node) or flowing (Bun: a new socket is not paused, its first chunk waits).
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { PushReadable } from "../../sources/_push_readable.ts";
import { type DirectReader, ON_CHUNK, ON_READ_ERROR } from "../../internal/direct_io.ts";

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
});
