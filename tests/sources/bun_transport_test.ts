/**
 * The Bun socket transport's gathered write (sources/_bun_transport.ts) on a
 * socket stand-in whose kernel takes a set number of bytes per write: Bun's
 * socket has no gathered write, so the transport joins buffers up to 128 KiB
 * into one write, in a buffer every socket shares.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { BunSocketTransport } from "../../sources/_bun_transport.ts";
import type { BunSocketLike } from "../../internal/runtime_types.ts";

const ADDRESS = { transport: "tcp", hostname: "127.0.0.1", port: 1 } as const;
const INFO = { remoteAddr: ADDRESS, localAddr: ADDRESS, tls: false };

/** A socket whose kernel has `room` bytes free (set again to free more); `sent` is what it took, copied. */
function socket(
  room: number,
): BunSocketLike<unknown> & { sent: number[]; writes: number; room: number } {
  const sent: number[] = [];
  const fake = {
    data: null as unknown,
    sent,
    writes: 0,
    room,
    write(bytes: Uint8Array, offset = 0, length = bytes.length - offset): number {
      fake.writes++;
      const taken = Math.min(length, fake.room);
      fake.room -= taken;
      for (let i = 0; i < taken; i++) sent.push(bytes[offset + i]);
      return taken;
    },
    end() {},
    shutdown() {},
    terminate() {},
    pause() {},
    resume() {},
  };
  return fake;
}

const filled = (length: number, start: number): Uint8Array =>
  Uint8Array.from({ length }, (_, i) => (start + i) % 251);
const concat = (chunks: Uint8Array[]): number[] => chunks.flatMap((chunk) => [...chunk]);

describe("BunSocketTransport: gathered writes", () => {
  it("joins buffers that fit 128 KiB into one write", () => {
    const s = socket(1 << 20);
    const transport = new BunSocketTransport(s, INFO);
    const chunks = [filled(9, 0), filled(64 * 1024, 9), filled(7, 3)];
    assert.equal(transport.writev(chunks), undefined, "taken whole: nothing to wait for");
    assert.equal(s.writes, 1);
    assert.deepEqual(s.sent, concat(chunks));
  });

  it("sends what the kernel left from the buffers given, while another socket reuses the shared buffer", async () => {
    const first = socket(1000);
    const other = socket(1 << 20);
    const a = new BunSocketTransport(first, INFO);
    const b = new BunSocketTransport(other, INFO);
    const chunks = [filled(9, 0), filled(5000, 9)];
    const pending = a.writev(chunks);
    assert.ok(pending instanceof Promise, "a partial write is waited for");
    b.writev([filled(9, 100), filled(5000, 50)]); // overwrites the shared buffer
    first.room = 1 << 20;
    a.onDrain();
    await pending;
    assert.deepEqual(first.sent, concat(chunks));
  });

  it("joins runs of buffers that fit 128 KiB when all do not, each run in one write", async () => {
    const s = socket(1 << 20);
    const transport = new BunSocketTransport(s, INFO);
    const chunks = [filled(147, 0), filled(7, 1), filled(64 * 1024, 2), filled(9, 3)];
    chunks.push(filled(64 * 1024, 4), filled(9, 5), filled(64 * 1024, 6));
    assert.equal(transport.writev(chunks), undefined);
    assert.equal(
      s.writes,
      3,
      "head to the second framing, the second chunk and the third framing, the third chunk",
    );
    assert.deepEqual(s.sent, concat(chunks));
    // The kernel stops inside the second run: the rest leaves on drain, from the buffers given.
    const partial = socket(70 * 1024);
    const other = new BunSocketTransport(socket(1 << 20), INFO);
    const waiting = new BunSocketTransport(partial, INFO);
    const pending = waiting.writev(chunks);
    assert.ok(pending instanceof Promise);
    assert.equal(partial.writes, 2);
    other.writev([filled(100, 9), filled(100 * 1024, 8)]); // overwrites the shared buffer
    partial.room = 1 << 20;
    waiting.onDrain();
    await pending;
    assert.deepEqual(partial.sent, concat(chunks));
  });

  it("writes buffers above 128 KiB one after another, the rest after drain, in order", async () => {
    const s = socket(100 * 1024);
    const transport = new BunSocketTransport(s, INFO);
    const chunks = [filled(150, 0), filled(200 * 1024, 1), filled(9, 2), filled(70 * 1024, 3)];
    let settled = false;
    const pending = transport.writev(chunks)!.then(() => (settled = true));
    assert.equal(s.writes, 2, "the first buffer, then as much of the second as the kernel takes");
    s.room = 100 * 1024;
    transport.onDrain(); // 100 KiB more: the second is not whole yet
    await Promise.resolve();
    assert.equal(settled, false);
    s.room = 1 << 20;
    transport.onDrain();
    await pending;
    assert.deepEqual(s.sent, concat(chunks));
  });
});
