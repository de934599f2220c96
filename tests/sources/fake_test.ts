import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { FakeSource } from "../../sources/mod.ts";
import type { Transport } from "../../core/mod.ts";

const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

async function accepted(source: FakeSource): Promise<Transport[]> {
  const transports: Transport[] = [];
  await source.listen((t) => transports.push(t));
  return transports;
}

describe("FakeSource", () => {
  it("hands connections made before listen() over once it listens, in order", async () => {
    const source = new FakeSource();
    source.connect({ remoteAddr: { transport: "tcp", hostname: "10.0.0.1", port: 1 } });
    source.connect();
    const transports = await accepted(source);
    assert.equal(transports.length, 2);
    assert.equal(transports[0].info.remoteAddr.hostname, "10.0.0.1");
    assert.notEqual(transports[1].info.remoteAddr.port, 0);
  });

  it("reports tls as asked", async () => {
    const source = new FakeSource();
    const transports = await accepted(source);
    source.connect({ tls: true });
    assert.equal(transports[0].info.tls, true);
  });

  it("refuses connections once closed", () => {
    const source = new FakeSource();
    source.close();
    assert.throws(() => source.connect(), /refused/);
  });

  it("delivers client bytes to the server chunk by chunk, as fragmented as written", async () => {
    const source = new FakeSource();
    const transports = await accepted(source);
    const client = source.connect();
    client.writeSplit("abcde", 2);
    client.end();
    const reader = transports[0].readable.getReader();
    const chunks: string[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      chunks.push(decode(r.value));
    }
    assert.deepEqual(chunks, ["ab", "cd", "e"]);
  });

  it("makes the server's reads fail when the client disconnects", async () => {
    const source = new FakeSource();
    const transports = await accepted(source);
    const client = source.connect();
    const reader = transports[0].readable.getReader();
    client.disconnect();
    await assert.rejects(reader.read(), /connection reset by peer/);
  });

  it("holds server writes while the client is paused (a slow reader)", async () => {
    const source = new FakeSource();
    const transports = await accepted(source);
    const client = source.connect({ paused: true });
    const writer = transports[0].writable.getWriter();
    let written = false;
    const write = writer.write(new TextEncoder().encode("data")).then(() => (written = true));
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(written, false);
    assert.equal(client.receivedBytes, 0);
    client.resume();
    await write;
    assert.equal(client.receivedBytes, 4);
    await writer.close();
    assert.equal(await client.readText(), "data");
    assert.ok(client.ended);
  });

  it("fails pending server writes when a paused client disconnects", async () => {
    const source = new FakeSource();
    const transports = await accepted(source);
    const client = source.connect({ paused: true });
    const writer = transports[0].writable.getWriter();
    const write = writer.write(new Uint8Array(1));
    client.disconnect();
    await assert.rejects(write, /reset/);
  });

  it("lets the client take what has arrived without waiting, and wait for a byte count", async () => {
    const source = new FakeSource();
    const transports = await accepted(source);
    const client = source.connect();
    const writer = transports[0].writable.getWriter();
    void writer.write(new TextEncoder().encode("ab"));
    void writer.write(new TextEncoder().encode("cd"));
    await client.waitForBytes(4);
    assert.equal(client.takeText(), "abcd");
    assert.equal(client.takeText(), "");
  });
});
