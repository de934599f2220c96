import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { NodeSocketTransport } from "../../sources/_node_transport.ts";

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
  pause(): void {}
  resume(): void {}
  cork(): void {}
  uncork(): void {}
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
