import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { NodeSocketTransport } from "../../sources/_node_transport.ts";
import { until } from "../_until.ts";
import { BodyCounter } from "./_body_counter.ts";

const info = {
  remoteAddr: { transport: "tcp" as const, hostname: "127.0.0.1", port: 1 },
  localAddr: { transport: "tcp" as const, hostname: "127.0.0.1", port: 2 },
  tls: false,
};

/**
 * A `node:net` socket stand-in whose writes report Node's buffer above its
 * mark (`write()` false, as for any write of 16 KiB or more), and leave
 * `held` bytes in Node's buffer: 0 when the kernel took them all at once.
 */
class FakeSocket extends EventEmitter {
  writes: Uint8Array[] = [];
  destroyed = false;
  writableLength = 0;
  held: number;
  constructor(held: number) {
    super();
    this.held = held;
  }
  calls: string[] = [];
  paused = false;
  /** As Node's: `false` once paused, `null` before anything said (a TLS socket, say). */
  readableFlowing: boolean | null = null;
  pause(): void {
    this.calls.push("pause");
    this.paused = true;
    this.readableFlowing = false;
  }
  resume(): void {
    this.calls.push("resume");
    this.paused = false;
    this.readableFlowing = true;
  }
  cork(): void {}
  uncork(): void {}
  destroy(): void {
    this.destroyed = true;
  }
  write(chunk: Uint8Array): boolean {
    this.writes.push(chunk);
    this.writableLength = this.held;
    return false;
  }
}

function transportOn(socket: FakeSocket): NodeSocketTransport {
  return new NodeSocketTransport(socket as unknown as Socket, info);
}

describe("NodeSocketTransport: writes", () => {
  it("returns no wait for a write the kernel took at once, though Node said it was above its mark", () => {
    const socket = new FakeSocket(0);
    const transport = transportOn(socket);
    const chunk = new Uint8Array(65_536);
    assert.equal(transport.write(chunk), undefined);
    assert.equal(transport.writev([new Uint8Array(8), chunk]), undefined);
    assert.equal(socket.writes.length, 3);
    assert.equal(socket.listenerCount("drain"), 0, "nothing waits for Node's drain");
  });

  it("waits for Node's drain while Node still holds bytes", async () => {
    const socket = new FakeSocket(20_000);
    const transport = transportOn(socket);
    const wait = transport.write(new Uint8Array(65_536));
    assert.ok(wait instanceof Promise);
    let drained = false;
    const done = wait.then(() => (drained = true));
    await Promise.resolve();
    assert.equal(drained, false);
    socket.writableLength = 0;
    socket.emit("drain");
    await done;
    assert.equal(socket.listenerCount("drain"), 0);
  });
});

describe("NodeSocketTransport: reads", () => {
  it("pauses a socket that comes flowing, and no `pause()` more for one given paused (`pauseOnConnect`)", () => {
    const flowing = new FakeSocket(0);
    transportOn(flowing);
    assert.deepEqual(flowing.calls, ["pause"]);
    assert.equal(flowing.paused, true);
    const given = new FakeSocket(0);
    given.readableFlowing = false;
    given.paused = true;
    transportOn(given);
    assert.deepEqual(given.calls, [], "no call for a socket Node paused at accept");
    assert.equal(given.listenerCount("data"), 1);
  });

  it("a body's reader resumes in each `data` callback's checkpoint with a budget of its own: a poll's 40 chunks never pause the socket", async () => {
    // Node reads up to 32 times per poll while reads come back full, each `data` callback
    // followed by its microtasks. A reader woken a host task later (past the scheduler's 16
    // microtask ticks per host task) lets the next 64 KiB wait, which pauses the socket.
    const CHUNK = 64 * 1024;
    const CHUNKS = 40;
    const app = new BodyCounter();
    const hussar = app.hussar;
    const socket = new FakeSocket(0);
    hussar.addConnection(transportOn(socket));
    await until(() => !socket.paused, 5000, "the first read resumes the socket");
    const head = `POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${CHUNK * CHUNKS}\r\n\r\n`;
    socket.emit("data", new TextEncoder().encode(head));
    await until(() => app.reading, 5000, "the app reads the body");
    socket.calls.length = 0;
    let sent = 0;
    let flowing: string[] = [];
    while (sent < CHUNKS) {
      // One poll of the host loop: chunks while the socket flows, each callback's microtasks after it.
      await new Promise((resolve) => setTimeout(resolve, 0));
      while (!socket.paused && sent < CHUNKS) {
        socket.emit("data", new Uint8Array(CHUNK));
        if (++sent === CHUNKS) flowing = socket.calls.slice();
        for (let i = 0; i < 8; i++) await Promise.resolve();
      }
    }
    assert.deepEqual(flowing, [], "never paused nor resumed while the body flowed");
    await until(() => app.total === CHUNK * CHUNKS, 5000, "the whole body read");
    await until(() => socket.writes.length > 0, 5000, "the answer");
    socket.emit("end");
    socket.emit("close");
    await hussar.close();
  });
});
