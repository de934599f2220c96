/**
 * The server WebSocket end to end: serve() on 127.0.0.1, a raw RFC 6455
 * client (tests/websocket/_client.ts) that can also misbehave.
 */
import { afterEach, describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { type HttpServer, serve } from "../../serve/mod.ts";
import {
  type UpgradedWebSocket,
  upgradeWebSocket,
  type UpgradeWebSocketOptions,
  WebSocketUpgradeError,
} from "../../websocket/mod.ts";
import { encodeFrame, OPCODE } from "../../websocket/_frame.ts";
import { RawWebSocket, sleep, within } from "./_client.ts";

const decoder = new TextDecoder();
const text = (bytes: Uint8Array) => decoder.decode(bytes);

/** A server whose handler upgrades every request and records what each socket sees. */
interface Harness {
  server: HttpServer;
  port: number;
  /** The sockets made so far, in order. */
  sockets: UpgradedWebSocket[];
  /** Events of all sockets: "open", "message:<data>", "error:<message>", "close:<code>:<reason>:<clean>". */
  log: string[];
  /** Resolves with the next socket's close event. */
  nextClose(index?: number): Promise<CloseEvent>;
}

let current: Harness | null = null;

afterEach(async () => {
  const harness = current;
  current = null;
  if (harness === null) return;
  await harness.server.close();
  assert.equal(harness.server.hussar.connectionCount, 0, "no connection left behind");
});

async function start(
  options: UpgradeWebSocketOptions = {},
  setup: (socket: UpgradedWebSocket, request: Request) => Response | void = () => {},
): Promise<Harness> {
  const sockets: UpgradedWebSocket[] = [];
  const log: string[] = [];
  const closes: Promise<CloseEvent>[] = [];
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    let upgrade;
    try {
      upgrade = upgradeWebSocket(request, options);
    } catch (error) {
      if (error instanceof WebSocketUpgradeError) return error.toResponse();
      throw error;
    }
    const { socket, response } = upgrade;
    sockets.push(socket);
    socket.addEventListener("open", () => log.push("open"));
    socket.addEventListener("message", (event) => {
      const data = (event as MessageEvent).data;
      log.push(`message:${typeof data === "string" ? data : `<${describeBinary(data)}>`}`);
    });
    socket.addEventListener("error", (event) => {
      log.push(`error:${(event as ErrorEvent).message ?? ""}`);
    });
    closes.push(
      new Promise((resolve) =>
        socket.addEventListener("close", (event) => {
          const close = event as CloseEvent;
          log.push(`close:${close.code}:${close.reason}:${close.wasClean}`);
          resolve(close);
        })
      ),
    );
    return setup(socket, request) ?? response;
  });
  await server.ready;
  const harness: Harness = {
    server,
    port: server.addr.transport === "tcp" ? server.addr.port : 0,
    sockets,
    log,
    nextClose: (index = 0) =>
      within(waitFor(() => closes[index]).then((close) => close), 5000, "the close event"),
  };
  current = harness;
  return harness;
}

/** Polls until `get` gives a value; fails after 5 s. */
async function waitFor<T>(get: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in 5 s: ${get}`);
    await sleep(5);
  }
}

function describeBinary(data: unknown): string {
  if (data instanceof ArrayBuffer) return `ArrayBuffer ${data.byteLength}`;
  if (data instanceof Blob) return `Blob ${data.size}`;
  return String(data);
}

/** Echoes every message back as it came. */
const echo = (socket: UpgradedWebSocket): void => {
  socket.onmessage = (event) => socket.send(event.data);
};

describe("upgradeWebSocket over serve(): the handshake", () => {
  it("answers 101 with the accept key, the chosen subprotocol, and opens the socket", async () => {
    const h = await start({ protocol: ["v2", "v1"] });
    const client = await RawWebSocket.open(h.port, {
      path: "/room?x=1",
      headers: { "sec-websocket-protocol": "v1, v2" },
    });
    assert.equal(client.answer.status, 101);
    assert.equal(client.answer.headers.get("upgrade"), "websocket");
    assert.equal(client.answer.headers.get("connection"), "Upgrade");
    assert.equal(client.answer.headers.get("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert.equal(client.answer.headers.get("sec-websocket-protocol"), "v2");
    assert.equal(client.answer.headers.has("sec-websocket-extensions"), false);
    assert.equal(client.answer.headers.has("content-length"), false);
    assert.equal(client.answer.headers.has("transfer-encoding"), false);
    await waitFor(() => (h.log.includes("open") ? true : undefined));
    const socket = h.sockets[0];
    assert.equal(socket.readyState, socket.OPEN);
    assert.equal(socket.protocol, "v2");
    assert.equal(socket.extensions, "");
    assert.equal(socket.url, `ws://127.0.0.1:${h.port}/room?x=1`);
    assert.equal(h.server.hussar.stats().phases.upgraded, 1);
    client.destroy();
  });

  it("answers a bad handshake with the error's status and reason (400, 426, 405)", async () => {
    const h = await start();
    const noKey = await RawWebSocket.open(h.port, { headers: { "sec-websocket-key": null } });
    assert.equal(noKey.answer.status, 400);
    assert.match(noKey.answer.body, /missing Sec-WebSocket-Key/);
    const oldVersion = await RawWebSocket.open(h.port, {
      headers: { "sec-websocket-version": "8" },
    });
    assert.equal(oldVersion.answer.status, 426);
    assert.equal(oldVersion.answer.headers.get("sec-websocket-version"), "13");
    const http10 = await RawWebSocket.open(h.port, { version: "1.0" });
    assert.equal(http10.answer.status, 400);
    assert.match(http10.answer.body, /HTTP\/1\.1/);
    assert.equal(h.sockets.length, 0);
    for (const client of [noKey, oldVersion, http10]) client.destroy();
  });

  it("fails the socket (error, close 1006) when the handler returns another response", async () => {
    const h = await start({}, () => new Response("not you", { status: 403 }));
    const client = await RawWebSocket.open(h.port);
    assert.equal(client.answer.status, 403);
    const close = await h.nextClose();
    assert.equal(close.code, 1006);
    assert.equal(close.wasClean, false);
    assert.equal(h.sockets[0].readyState, h.sockets[0].CLOSED);
    assert.match(h.log[0], /^error:.*answered 403/);
    client.destroy();
  });

  it("refuses send() before open, and bad close() arguments, as the standard says", async () => {
    const errors: string[] = [];
    const h = await start({}, (socket) => {
      for (
        const attempt of [
          () => socket.send("too early"),
          () => socket.close(1001),
          () => socket.close(2999),
          () => socket.close(1000, "x".repeat(124)),
        ]
      ) {
        try {
          attempt();
        } catch (error) {
          errors.push((error as DOMException).name);
        }
      }
    });
    const client = await RawWebSocket.open(h.port);
    assert.deepEqual(errors, [
      "InvalidStateError",
      "InvalidAccessError",
      "InvalidAccessError",
      "SyntaxError",
    ]);
    await waitFor(() => (h.log.includes("open") ? true : undefined));
    assert.equal(h.sockets[0].readyState, h.sockets[0].OPEN);
    client.destroy();
  });

  it("reads frames the client sent together with its handshake", async () => {
    const h = await start({}, echo);
    const early = encodeFrame(OPCODE.text, new TextEncoder().encode("early bird"), {
      mask: new Uint8Array([1, 2, 3, 4]),
    });
    const client = await RawWebSocket.open(h.port, { early });
    const frame = await client.next();
    assert.equal(text(frame!.payload), "early bird");
    client.destroy();
  });
});

describe("upgradeWebSocket over serve(): messages", () => {
  it("echoes text and binary messages, empty ones included", async () => {
    const h = await start({}, echo);
    const client = await RawWebSocket.open(h.port);
    client.sendText("héllo");
    client.send(OPCODE.binary, new Uint8Array([0, 1, 255]));
    client.sendText("");
    client.send(OPCODE.binary, new Uint8Array(0));
    const big = new Uint8Array(200_000).map((_, i) => i % 251);
    client.send(OPCODE.binary, big);
    const frames = [];
    for (let i = 0; i < 5; i++) frames.push(await client.next());
    assert.deepEqual(frames.map((f) => [f!.opcode, f!.payload.length]), [
      [OPCODE.text, 6],
      [OPCODE.binary, 3],
      [OPCODE.text, 0],
      [OPCODE.binary, 0],
      [OPCODE.binary, 200_000],
    ]);
    assert.equal(text(frames[0]!.payload), "héllo");
    assert.deepEqual(frames[4]!.payload, big);
    assert.ok(h.log.includes("message:<ArrayBuffer 200000>"));
    client.destroy();
  });

  it("sends strings, ArrayBuffers, views and Blobs in the order given", async () => {
    const h = await start({}, (socket) => {
      socket.onopen = () => {
        socket.send(new Blob(["blob first"]));
        socket.send("then text");
        socket.send(new Uint16Array([0x0102]).buffer);
        socket.send(new Uint8Array([9, 8, 7, 6]).subarray(1, 3));
      };
    });
    const client = await RawWebSocket.open(h.port);
    const frames = [];
    for (let i = 0; i < 4; i++) frames.push(await client.next());
    assert.deepEqual(frames.map((f) => f!.opcode), [
      OPCODE.binary,
      OPCODE.text,
      OPCODE.binary,
      OPCODE.binary,
    ]);
    assert.equal(text(frames[0]!.payload), "blob first");
    assert.equal(text(frames[1]!.payload), "then text");
    assert.equal(frames[2]!.payload.length, 2);
    assert.deepEqual([...frames[3]!.payload], [8, 7]);
    client.destroy();
  });

  it("delivers Blobs when binaryType is 'blob'", async () => {
    const h = await start({}, (socket) => {
      socket.binaryType = "blob";
      socket.onmessage = async (event) => {
        assert.ok(event.data instanceof Blob);
        socket.send(`blob of ${(event.data as Blob).size}: ${await (event.data as Blob).text()}`);
      };
    });
    const client = await RawWebSocket.open(h.port);
    client.send(OPCODE.binary, new TextEncoder().encode("abc"));
    assert.equal(text((await client.next())!.payload), "blob of 3: abc");
    client.destroy();
  });

  it("reassembles fragments, answering a ping sent between them", async () => {
    const h = await start({}, echo);
    const client = await RawWebSocket.open(h.port);
    client.send(OPCODE.text, "frag", { fin: false });
    client.send(OPCODE.ping, "are you there");
    client.send(OPCODE.continuation, "men", { fin: false });
    client.send(OPCODE.continuation, "ted");
    const pong = await client.next();
    assert.equal(pong!.opcode, OPCODE.pong);
    assert.equal(text(pong!.payload), "are you there");
    const message = await client.next();
    assert.equal(message!.opcode, OPCODE.text);
    assert.equal(text(message!.payload), "fragmented");
    assert.deepEqual(h.log.filter((e) => e.startsWith("message")), ["message:fragmented"]);
    client.destroy();
  });

  it("accepts an unsolicited pong silently", async () => {
    const h = await start({}, echo);
    const client = await RawWebSocket.open(h.port);
    client.send(OPCODE.pong, "unasked");
    client.sendText("still here");
    assert.equal(text((await client.next())!.payload), "still here");
    client.destroy();
  });
});

describe("upgradeWebSocket over serve(): closing", () => {
  it("answers a client's close with the same code, then closes the connection", async () => {
    const h = await start({}, echo);
    const client = await RawWebSocket.open(h.port);
    client.sendClose(1000, "bye");
    assert.deepEqual(await client.nextClose(), { code: 1000, reason: "" });
    await within(client.closed, 5000, "the server closing the TCP connection");
    const close = await h.nextClose();
    assert.deepEqual([close.code, close.reason, close.wasClean], [1000, "bye", true]);
    assert.equal(h.log.some((e) => e.startsWith("error")), false);
  });

  it("reports 1005 for a close frame without a code, and answers with an empty one", async () => {
    const h = await start();
    const client = await RawWebSocket.open(h.port);
    client.sendClose();
    assert.deepEqual(await client.nextClose(), { code: null, reason: "" });
    const close = await h.nextClose();
    assert.deepEqual([close.code, close.wasClean], [1005, true]);
  });

  it("closes from the server with code and reason, and finishes when the client answers", async () => {
    const h = await start({}, (socket) => {
      socket.onmessage = () => socket.close(4000, "done here");
    });
    const client = await RawWebSocket.open(h.port);
    client.sendText("close please");
    assert.deepEqual(await client.nextClose(), { code: 4000, reason: "done here" });
    assert.equal(h.sockets[0].readyState, h.sockets[0].CLOSING);
    // Messages after close() are not delivered.
    client.sendText("late");
    client.sendClose(4000);
    const close = await h.nextClose();
    assert.deepEqual([close.code, close.wasClean], [4000, true]);
    await within(client.closed, 5000, "the TCP close");
    assert.equal(h.log.includes("message:late"), false);
  });

  it("gives up on a client that never answers the close frame (closeTimeoutMs)", async () => {
    const h = await start({ closeTimeoutMs: 100 }, (socket) => {
      socket.onopen = () => socket.close();
    });
    const client = await RawWebSocket.open(h.port);
    assert.deepEqual(await client.nextClose(), { code: null, reason: "" });
    await within(client.closed, 5000, "the server dropping the connection");
    const close = await h.nextClose();
    assert.deepEqual([close.code, close.wasClean], [1006, false]);
  });

  it("reports a client that disconnects without a close frame as 1006", async () => {
    const h = await start();
    const client = await RawWebSocket.open(h.port);
    await waitFor(() => (h.log.includes("open") ? true : undefined));
    client.destroy();
    const close = await h.nextClose();
    assert.deepEqual([close.code, close.wasClean], [1006, false]);
  });

  it("says 1001 to every socket when the server shuts down, and the shutdown completes", async () => {
    const h = await start();
    const a = await RawWebSocket.open(h.port);
    const b = await RawWebSocket.open(h.port);
    await waitFor(() => (h.log.filter((e) => e === "open").length === 2 ? true : undefined));
    const stopping = h.server.shutdown();
    for (const client of [a, b]) {
      assert.deepEqual(await client.nextClose(), { code: 1001, reason: "server shutting down" });
      client.sendClose(1001);
    }
    await within(stopping, 5000, "the shutdown");
    assert.equal(h.server.hussar.connectionCount, 0);
  });
});

describe("upgradeWebSocket over serve(): protocol violations fail the connection", () => {
  const mask = new Uint8Array([9, 9, 9, 9]);
  const cases: [string, (client: RawWebSocket) => void, number][] = [
    ["an unmasked frame", (c) => c.send(OPCODE.text, "x", { mask: null }), 1002],
    ["reserved bits", (c) => c.write(new Uint8Array([0xc1, 0x80, 0, 0, 0, 0])), 1002],
    ["an unknown opcode", (c) => c.write(encodeFrame(0x3, new Uint8Array(0), { mask })), 1002],
    ["a fragmented ping", (c) => c.send(OPCODE.ping, "x", { fin: false }), 1002],
    ["a 126-byte close frame", (c) => c.send(OPCODE.close, new Uint8Array(126)), 1002],
    ["a continuation first", (c) => c.send(OPCODE.continuation, "x"), 1002],
    ["a new message inside one", (c) => {
      c.send(OPCODE.text, "a", { fin: false });
      c.send(OPCODE.binary, "b");
    }, 1002],
    ["close code 1005", (c) => c.sendClose(1005), 1002],
    ["a 1-byte close payload", (c) => c.send(OPCODE.close, new Uint8Array([3])), 1002],
    [
      "invalid UTF-8 text",
      (c) => c.send(OPCODE.text, new Uint8Array([0xce, 0xba, 0xe1, 0xbd])),
      1007,
    ],
    [
      "an invalid UTF-8 close reason",
      (c) => c.send(OPCODE.close, new Uint8Array([3, 232, 0xff])),
      1007,
    ],
    ["a frame over maxMessageSize", (c) => c.send(OPCODE.binary, new Uint8Array(1025)), 1009],
    ["fragments adding up over maxMessageSize", (c) => {
      c.send(OPCODE.binary, new Uint8Array(1000), { fin: false });
      c.send(OPCODE.continuation, new Uint8Array(100));
    }, 1009],
  ];
  for (const [what, misbehave, code] of cases) {
    it(`${what}: close ${code}, error event, TCP closed`, async () => {
      const h = await start({ maxMessageSize: 1024 }, echo);
      const client = await RawWebSocket.open(h.port);
      misbehave(client);
      const answer = await client.nextClose();
      assert.equal(answer.code, code);
      await within(client.closed, 5000, "the server closing the connection");
      const close = await h.nextClose();
      assert.deepEqual([close.code, close.wasClean], [code, false]);
      assert.ok(h.log.some((e) => e.startsWith("error:")), h.log.join(", "));
      assert.equal(h.log.some((e) => e.startsWith("message")), false);
    });
  }
});

describe("upgradeWebSocket over serve(): liveness and backpressure", () => {
  it("pings a silent client after idleTimeout and keeps it while it answers", async () => {
    const h = await start({ idleTimeout: 0.1 });
    const client = await RawWebSocket.open(h.port);
    for (let i = 0; i < 2; i++) {
      const ping = await client.next(2000);
      assert.equal(ping!.opcode, OPCODE.ping);
      client.send(OPCODE.pong, ping!.payload);
    }
    assert.equal(h.sockets[0].readyState, h.sockets[0].OPEN);
    client.destroy();
  });

  it("drops a client that does not answer the ping (close 1006 with an error)", async () => {
    const h = await start({ idleTimeout: 0.05 });
    const client = await RawWebSocket.open(h.port);
    assert.equal((await client.next(2000))!.opcode, OPCODE.ping);
    await within(client.closed, 5000, "the server dropping the silent client");
    const close = await h.nextClose();
    assert.deepEqual([close.code, close.wasClean], [1006, false]);
    assert.ok(h.log.some((e) => /^error:no answer to a ping/.test(e)), h.log.join(", "));
  });

  it("reports bufferedAmount while the client does not read, and it drains when it reads", async () => {
    const chunk = new Uint8Array(256 * 1024);
    const h = await start({ maxBufferedAmount: 256 << 20 });
    const client = await RawWebSocket.open(h.port);
    client.socket.pause();
    await waitFor(() => (h.log.includes("open") ? true : undefined));
    const socket = h.sockets[0];
    // Send until the kernel's socket buffers are full and bytes wait in hussar.
    let sent = 0;
    while (sent < 400) {
      for (let i = 0; i < 16; i++, sent++) socket.send(chunk);
      await sleep(50);
      if (socket.bufferedAmount > 0) break;
    }
    assert.ok(socket.bufferedAmount > 0, `bytes wait for the client after ${sent} messages`);
    client.socket.resume();
    for (let received = 0; received < sent; received++) {
      const frame = await client.next();
      assert.equal(frame!.payload.length, chunk.length);
    }
    await waitFor(() => (socket.bufferedAmount === 0 ? true : undefined));
    client.destroy();
  });

  it("drops a client that lets more than maxBufferedAmount pile up", async () => {
    const h = await start({ maxBufferedAmount: 1024 * 1024 }, (socket) => {
      socket.onopen = () => {
        const chunk = new Uint8Array(256 * 1024);
        const timer = setInterval(() => {
          if (socket.readyState !== socket.OPEN) return clearInterval(timer);
          socket.send(chunk);
        }, 1);
      };
    });
    const client = await RawWebSocket.open(h.port);
    client.socket.pause();
    const close = await h.nextClose();
    assert.deepEqual([close.code, close.wasClean], [1006, false]);
    assert.ok(h.log.some((e) => /^error:over 1048576 bytes waiting/.test(e)), h.log.join(", "));
    client.destroy();
  });
});
