/**
 * permessage-deflate (RFC 7692) end to end: serve() on 127.0.0.1 against
 * the `ws` package as a real client (its own zlib streams, with and without
 * context takeover, window bits, fragments), and the raw client of
 * tests/websocket/_client.ts to look at the frames and to misbehave.
 */
import { afterEach, describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { createInflateRaw, deflateRawSync, inflateRawSync } from "node:zlib";
import WebSocket from "ws";
import { type HttpServer, serve } from "../../serve/mod.ts";
import {
  type UpgradedWebSocket,
  upgradeWebSocket,
  type UpgradeWebSocketOptions,
} from "../../websocket/mod.ts";
import { encodeFrame, type Frame, OPCODE } from "../../websocket/_frame.ts";
import { concatBytes } from "../../internal/bytes.ts";
import { RawWebSocket, within } from "./_client.ts";

const SYNC_FLUSH = { finishFlush: 2 }; // zlib.constants.Z_SYNC_FLUSH
const TAIL = new Uint8Array([0, 0, 0xff, 0xff]);
const MASK = new Uint8Array([1, 2, 3, 4]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Echo {
  server: HttpServer;
  port: number;
  sockets: UpgradedWebSocket[];
  /** Close codes the server's sockets reported. */
  closes: Promise<number>[];
}

let current: Echo | null = null;

afterEach(async () => {
  const echo = current;
  current = null;
  if (echo === null) return;
  await echo.server.close();
  assert.equal(echo.server.hussar.connectionCount, 0, "no connection left behind");
});

/** A server that echoes every message, with `options` for every upgrade. */
async function startEcho(options: UpgradeWebSocketOptions = {}): Promise<Echo> {
  const sockets: UpgradedWebSocket[] = [];
  const closes: Promise<number>[] = [];
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { socket, response } = upgradeWebSocket(request, options);
    sockets.push(socket);
    socket.onmessage = (event) => socket.send(event.data);
    closes.push(new Promise((resolve) => (socket.onclose = (event) => resolve(event.code))));
    return response;
  });
  await server.ready;
  const echo: Echo = { server, port: server.port!, sockets, closes };
  current = echo;
  return echo;
}

/** A `ws` client, open, with the `Sec-WebSocket-Extensions` the server answered. */
async function wsClient(
  port: number,
  perMessageDeflate: WebSocket.ClientOptions["perMessageDeflate"] = true,
): Promise<{ ws: WebSocket; extensions: string | null }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate });
  let extensions: string | null = null;
  ws.on("upgrade", (response) => {
    extensions = (response.headers["sec-websocket-extensions"] as string | undefined) ?? null;
  });
  await within(
    new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    }),
    5000,
    "the ws client to open",
  );
  return { ws, extensions };
}

/** Sends `data` and resolves with the echo. */
async function roundTrip(
  ws: WebSocket,
  data: string | Uint8Array,
): Promise<string | Uint8Array> {
  const reply = new Promise<string | Uint8Array>((resolve) =>
    ws.once("message", (message: Buffer, isBinary: boolean) => {
      resolve(isBinary ? new Uint8Array(message) : message.toString());
    })
  );
  ws.send(data);
  return await within(reply, 5000, "the echo");
}

/** Resolves with the code of the close frame the ws client received. */
function wsClosed(ws: WebSocket): Promise<number> {
  return within(
    new Promise((resolve) => ws.once("close", (code: number) => resolve(code))),
    5000,
    "the ws client to close",
  );
}

/** Text that compresses well and whose repeats lie `distance` bytes apart. */
function repetitive(distance: number, length: number): string {
  let block = "";
  for (let i = 0; block.length < distance; i++) block += `${(i * 7919) % 1000003},`;
  return block.slice(0, distance).repeat(Math.ceil(length / distance)).slice(0, length);
}

/** Equal strings or bytes; on a difference, says where without diffing megabytes. */
function assertSame(actual: string | Uint8Array, expected: string | Uint8Array): void {
  assert.equal(typeof actual, typeof expected, "a string for a string, bytes for bytes");
  assert.equal(actual.length, expected.length, "the length");
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) assert.fail(`they differ first at index ${i}`);
  }
}

async function closeWs(ws: WebSocket): Promise<void> {
  const closed = wsClosed(ws);
  ws.close(1000);
  assert.equal(await closed, 1000);
}

describe("permessage-deflate with the ws client", () => {
  it("is negotiated by default; text and binary echo both ways with context takeover", async () => {
    const echo = await startEcho();
    const { ws, extensions } = await wsClient(echo.port);
    assert.equal(extensions, "permessage-deflate");
    assert.equal(echo.sockets[0].extensions, "permessage-deflate");
    const large = repetitive(3000, 50_000);
    for (const message of ["small", large, large + "!", large.slice(7, 20_000), "é".repeat(900)]) {
      assertSame(await roundTrip(ws, message), message);
    }
    const binary = encoder.encode(repetitive(200, 100_000));
    assertSame(await roundTrip(ws, binary), binary);
    await closeWs(ws);
    assert.equal(await echo.closes[0], 1000);
  });

  it("without context takeover either way, as the client asks", async () => {
    const echo = await startEcho();
    const { ws, extensions } = await wsClient(echo.port, {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
    });
    assert.equal(
      extensions,
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    );
    const large = repetitive(1000, 20_000);
    for (const message of [large, large, large.slice(1)]) {
      assertSame(await roundTrip(ws, message), message);
    }
    await closeWs(ws);
  });

  it("with the window bits the client asks for, and those the server sets", async () => {
    const echo = await startEcho();
    const { ws, extensions } = await wsClient(echo.port, {
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 10,
    });
    assert.equal(
      extensions,
      "permessage-deflate; server_max_window_bits=10; client_max_window_bits=10",
    );
    // Repeats 600 and 3000 bytes apart: within the 1 KiB window and beyond it.
    for (const message of [repetitive(600, 10_000), repetitive(3000, 30_000)]) {
      assertSame(await roundTrip(ws, message), message);
    }
    await closeWs(ws);

    const small = await startEcho({
      perMessageDeflate: { serverMaxWindowBits: 9, clientMaxWindowBits: 9 },
    });
    const client = await wsClient(small.port);
    assert.equal(
      client.extensions,
      "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9",
    );
    const message = repetitive(400, 20_000);
    assertSame(await roundTrip(client.ws, message), message);
    await closeWs(client.ws);
  });

  it("reassembles a compressed message sent in fragments", async () => {
    const echo = await startEcho();
    const { ws } = await wsClient(echo.port);
    const parts = [repetitive(500, 3000), repetitive(700, 5000), "end"];
    const reply = new Promise<string>((resolve) =>
      ws.once("message", (message: Buffer) => resolve(message.toString()))
    );
    parts.forEach((part, i) => ws.send(part, { fin: i === parts.length - 1, compress: true }));
    assertSame(await within(reply, 5000, "the echo"), parts.join(""));
    await closeWs(ws);
  });

  it("closes with 1009 on a message that inflates past maxMessageSize (a zip bomb)", async () => {
    const echo = await startEcho({ maxMessageSize: 1 << 20 });
    const { ws } = await wsClient(echo.port);
    const closed = wsClosed(ws);
    ws.send(new Uint8Array(16 << 20)); // 16 MiB of zeros: some 16 KiB compressed
    assert.equal(await closed, 1009);
    assert.equal(await echo.closes[0], 1009);
  });

  it("talks uncompressed to a client that offers nothing", async () => {
    const echo = await startEcho();
    const { ws, extensions } = await wsClient(echo.port, false);
    assert.equal(extensions, null);
    assert.equal(echo.sockets[0].extensions, "");
    const large = repetitive(100, 100_000);
    assertSame(await roundTrip(ws, large), large);
    await closeWs(ws);
  });

  it("declines every offer with perMessageDeflate: false", async () => {
    const echo = await startEcho({ perMessageDeflate: false });
    const { ws, extensions } = await wsClient(echo.port);
    assert.equal(extensions, null);
    const large = repetitive(100, 100_000);
    assertSame(await roundTrip(ws, large), large);
    await closeWs(ws);
  });
});

describe("the perMessageDeflate option", () => {
  it("refuses window bits outside 9-15 and a negative threshold (RangeError)", () => {
    const request = new Request("http://localhost/", {
      headers: {
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
      },
    });
    for (
      const perMessageDeflate of [
        { serverMaxWindowBits: 8 },
        { clientMaxWindowBits: 16 },
        { serverMaxWindowBits: 12.5 },
        { threshold: -1 },
      ]
    ) {
      assert.throws(
        () => upgradeWebSocket(request, { perMessageDeflate }),
        /^RangeError: perMessageDeflate\.\w+ must be/,
        JSON.stringify(perMessageDeflate),
      );
    }
  });
});

/** A raw client that offered `offer`; its server's sockets echo. */
async function rawClient(echo: Echo, offer: string | null): Promise<RawWebSocket> {
  const client = await RawWebSocket.open(echo.port, {
    headers: offer === null ? {} : { "sec-websocket-extensions": offer },
  });
  assert.equal(client.answer.status, 101);
  return client;
}

/** The next data frame the client receives. */
async function nextData(client: RawWebSocket): Promise<Frame> {
  const frame = await client.next();
  assert.ok(frame !== null && frame.opcode <= OPCODE.binary, "a data frame");
  return frame;
}

/** Inflates a message with no history, as a client whose peer took no context over would. */
function inflateAlone(payload: Uint8Array): string {
  return decoder.decode(inflateRawSync(concatBytes([payload, TAIL]), SYNC_FLUSH));
}

describe("permessage-deflate on the wire", () => {
  it("compresses messages from the threshold on, when that makes them smaller", async () => {
    const echo = await startEcho();
    const client = await rawClient(echo, "permessage-deflate");
    assert.equal(client.answer.headers.get("sec-websocket-extensions"), "permessage-deflate");
    client.sendText("a".repeat(1023));
    let frame = await nextData(client);
    assert.deepEqual([frame.rsv1, frame.payload.length], [false, 1023]);
    client.sendText("a".repeat(1024));
    frame = await nextData(client);
    assert.equal(frame.rsv1, true);
    assert.ok(frame.payload.length < 50, `${frame.payload.length} bytes`);
    assert.equal(inflateAlone(frame.payload), "a".repeat(1024));
    const noise = crypto.getRandomValues(new Uint8Array(4096));
    client.send(OPCODE.binary, noise);
    frame = await nextData(client);
    assert.equal(frame.rsv1, false);
    assertSame(frame.payload, noise);
    client.sendClose(1000);
    assert.equal((await client.nextClose()).code, 1000);
  });

  it("follows the threshold option", async () => {
    const echo = await startEcho({ perMessageDeflate: { threshold: 64 } });
    const client = await rawClient(echo, "permessage-deflate");
    client.sendText("b".repeat(63));
    assert.equal((await nextData(client)).rsv1, false);
    client.sendText("b".repeat(64));
    const frame = await nextData(client);
    assert.equal(frame.rsv1, true);
    assert.equal(inflateAlone(frame.payload), "b".repeat(64));
    client.sendClose(1000);
    await client.nextClose();
  });

  it("takes context over between messages unless server_no_context_takeover", async () => {
    const text = repetitive(1500, 3000);
    const echo = await startEcho();
    const client = await rawClient(echo, "permessage-deflate");
    const inflater = streamInflater();
    const sizes: number[] = [];
    for (let i = 0; i < 2; i++) {
      client.sendText(text);
      const frame = await nextData(client);
      assert.equal(frame.rsv1, true);
      sizes.push(frame.payload.length);
      assert.equal(await inflater.inflate(frame.payload), text, "as a client with takeover would");
    }
    inflater.close();
    if ("Deno" in globalThis) {
      // Deno's node:zlib ignores a preset dictionary: each message is compressed on its own.
      assert.equal(sizes[1], sizes[0]);
    } else {
      assert.ok(sizes[1] < sizes[0] / 4, `${sizes[1]} then ${sizes[0]} bytes`);
    }
    client.sendClose(1000);
    await client.nextClose();

    const alone = await rawClient(echo, "permessage-deflate; server_no_context_takeover");
    assert.equal(
      alone.answer.headers.get("sec-websocket-extensions"),
      "permessage-deflate; server_no_context_takeover",
    );
    for (let i = 0; i < 2; i++) {
      alone.sendText(text);
      const frame = await nextData(alone);
      assert.equal(inflateAlone(frame.payload), text);
    }
    alone.sendClose(1000);
    await alone.nextClose();
  });

  it("inflates a compressed message whose frames split it anywhere", async () => {
    const echo = await startEcho();
    const client = await rawClient(echo, "permessage-deflate");
    const text = repetitive(300, 5000);
    const payload = deflateRawSync(encoder.encode(text), SYNC_FLUSH).subarray(0, -4);
    client.write(concatBytes([
      encodeFrame(OPCODE.text, payload.subarray(0, 3), { fin: false, rsv1: true, mask: MASK }),
      encodeFrame(OPCODE.continuation, payload.subarray(3, 10), { fin: false, mask: MASK }),
      encodeFrame(OPCODE.ping, new Uint8Array(0), { mask: MASK }), // control frames may interleave
      encodeFrame(OPCODE.continuation, payload.subarray(10), { mask: MASK }),
    ]));
    assert.equal((await client.next())?.opcode, OPCODE.pong);
    const frame = await nextData(client);
    assert.equal(inflateAlone(frame.payload), text);
    client.sendClose(1000);
    await client.nextClose();
  });

  const compressed = deflateRawSync(encoder.encode("hello"), SYNC_FLUSH).subarray(0, -4);
  const cases: [string, string | null, (client: RawWebSocket) => void, number][] = [
    ["RSV1 without the extension", null, (c) => {
      c.write(encodeFrame(OPCODE.text, compressed, { rsv1: true, mask: MASK }));
    }, 1002],
    ["RSV1 on a ping", "permessage-deflate", (c) => {
      c.write(encodeFrame(OPCODE.ping, new Uint8Array(0), { rsv1: true, mask: MASK }));
    }, 1002],
    ["RSV1 on a continuation", "permessage-deflate", (c) => {
      c.write(encodeFrame(OPCODE.text, compressed.subarray(0, 2), {
        fin: false,
        rsv1: true,
        mask: MASK,
      }));
      c.write(encodeFrame(OPCODE.continuation, compressed.subarray(2), { rsv1: true, mask: MASK }));
    }, 1002],
    ["bad deflate data", "permessage-deflate", (c) => {
      c.write(encodeFrame(OPCODE.binary, new Uint8Array([0xff, 0xff]), { rsv1: true, mask: MASK }));
    }, 1007],
    ["compressed text that is not UTF-8", "permessage-deflate", (c) => {
      const bad = deflateRawSync(new Uint8Array([0xce, 0xba, 0xe1, 0xbd]), SYNC_FLUSH);
      c.write(encodeFrame(OPCODE.text, bad.subarray(0, -4), { rsv1: true, mask: MASK }));
    }, 1007],
    ["a zip bomb: 512 MiB of zeros in 512 KiB", "permessage-deflate", (c) => {
      const segment = deflateRawSync(new Uint8Array(16 << 20), SYNC_FLUSH);
      const bomb = concatBytes(Array.from({ length: 32 }, () => segment));
      c.write(encodeFrame(OPCODE.binary, bomb, { rsv1: true, mask: MASK }));
    }, 1009],
  ];
  for (const [what, offer, misbehave, code] of cases) {
    it(`${what}: close ${code}, the TCP connection closed`, async () => {
      const echo = await startEcho({ maxMessageSize: 1 << 20 });
      const client = await rawClient(echo, offer);
      misbehave(client);
      assert.equal((await client.nextClose()).code, code);
      await within(client.closed, 5000, "the server closing the connection");
      assert.equal(await echo.closes[0], code);
    });
  }
});

/** A client's inflater with context takeover: one raw inflate stream for all messages. */
function streamInflater(): { inflate(payload: Uint8Array): Promise<string>; close(): void } {
  const stream = createInflateRaw();
  const chunks: Uint8Array[] = [];
  stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
  return {
    async inflate(payload) {
      stream.write(concatBytes([payload, TAIL]));
      await new Promise<void>((resolve) => stream.flush(2, () => resolve())); // Z_SYNC_FLUSH
      return decoder.decode(concatBytes(chunks.splice(0)));
    },
    close: () => stream.close(),
  };
}
