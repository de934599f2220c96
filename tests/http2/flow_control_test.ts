/**
 * Flow control through `serve()` (RFC 9113 §5.2, §6.9): a request body is
 * let in as the handler reads it, never past the stream window; a client
 * that sends past it gets FLOW_CONTROL_ERROR; a response goes out within
 * the client's windows, however small, and an INITIAL_WINDOW_SIZE change
 * applies to open streams.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  type DataFrame,
  ErrorCode,
  type Frame,
  FrameType,
  type RstStreamFrame,
  serializeData,
  serializePing,
  serializeSettings,
  serializeWindowUpdate,
  type WindowUpdateFrame,
} from "../../http2/mod.ts";
import { closeClient, connect, holdsNothing, RawClient, request, start } from "./_serve.ts";

const WINDOW = 65535;

/** A body the handler reads only once `go` resolves; it answers with the length read. */
function gatedEcho(): {
  go: () => void;
  entered: Promise<void>;
  handler: (r: Request) => Promise<Response>;
} {
  let go!: () => void;
  let entered!: () => void;
  const gate = new Promise<void>((resolve) => (go = resolve));
  const inside = new Promise<void>((resolve) => (entered = resolve));
  return {
    go,
    entered: inside,
    handler: async (request) => {
      entered();
      await gate;
      return new Response(String((await request.arrayBuffer()).byteLength));
    },
  };
}

const isWindowUpdate = (id: number) => (frame: Frame): frame is WindowUpdateFrame =>
  frame.type === FrameType.WINDOW_UPDATE && frame.streamId === id;

describe("HTTP/2 flow control through serve()", () => {
  it("lets a request body in as the handler reads it, never past the stream window", async () => {
    const gated = gatedEcho();
    const server = await start(gated.handler);
    const client = await RawClient.connect(server.port!);
    try {
      const size = 200_000;
      client.send(client.headers(1, "POST", "/up", false, [["content-length", String(size)]]));
      // A whole window's worth, in frames of the default maximum size.
      const chunk = new Uint8Array(16384).fill(0x61);
      let sent = 0;
      while (sent < WINDOW) {
        const n = Math.min(chunk.length, WINDOW - sent);
        client.send(serializeData(1, chunk.subarray(0, n), false));
        sent += n;
      }
      await gated.entered;
      // Frames are handled in order: once the PING is answered, every DATA before it was
      // received, and no WINDOW_UPDATE for the stream was sent, as the handler read nothing.
      client.send(serializePing(new Uint8Array(8).fill(7)));
      const ack = await client.next((f) => f.type === FrameType.PING && f.ack);
      const beforeAck = client.frames.slice(0, client.frames.indexOf(ack));
      assert.equal(beforeAck.filter(isWindowUpdate(1)).length, 0);
      gated.go();
      // Then the stream window opens as the handler reads: send the rest within it.
      let window = 0;
      let seen = client.frames.length;
      while (sent < size) {
        if (window === 0) {
          const update = await client.next(isWindowUpdate(1), seen) as WindowUpdateFrame;
          seen = client.frames.indexOf(update) + 1;
          window += update.increment;
        }
        const n = Math.min(chunk.length, window, size - sent);
        client.send(serializeData(1, chunk.subarray(0, n), sent + n === size));
        sent += n;
        window -= n;
      }
      const data = await client.next((f) =>
        f.type === FrameType.DATA && f.streamId === 1
      ) as DataFrame;
      assert.equal(new TextDecoder().decode(data.data), String(size));
      assert.equal(data.endStream, true);
    } finally {
      client.close();
    }
    await holdsNothing(server);
  });

  it("resets a stream whose client sends past its window (FLOW_CONTROL_ERROR)", async () => {
    const gated = gatedEcho();
    const server = await start(gated.handler);
    const client = await RawClient.connect(server.port!);
    try {
      client.send(client.headers(1, "POST", "/up", false));
      const chunk = new Uint8Array(16384);
      for (let sent = 0; sent <= WINDOW; sent += chunk.length) {
        client.send(serializeData(1, chunk, false));
      }
      const reset = await client.next((f) => f.type === FrameType.RST_STREAM) as RstStreamFrame;
      assert.deepEqual([reset.streamId, reset.errorCode], [1, ErrorCode.FLOW_CONTROL_ERROR]);
      gated.go();
      // The connection goes on: a new stream is served.
      client.send(client.headers(3, "GET", "/after", true));
      const answer = await client.next((f) => f.type === FrameType.HEADERS && f.streamId === 3);
      assert.ok(answer);
    } finally {
      client.close();
    }
    await holdsNothing(server);
  });

  it("sends a response within the client's windows, and applies its INITIAL_WINDOW_SIZE change", async () => {
    const body = new Uint8Array(300_000).map((_, i) => i % 251);
    const server = await start(() => new Response(body));
    // A client that opens nothing beyond 1000 octets per stream until asked.
    const client = await RawClient.connect(server.port!, { initialWindowSize: 1000 });
    try {
      client.send(client.headers(1, "GET", "/big", true));
      const received: number[] = [];
      let total = 0;
      let seen = 0;
      const firstData = await client.next((f) => f.type === FrameType.DATA);
      seen = client.frames.indexOf(firstData);
      // Within the first window: at most 1000 octets until the client opens more.
      const ping = serializePing(new Uint8Array(8));
      client.send(ping);
      const ack = await client.next((f) => f.type === FrameType.PING && f.ack);
      const early = client.frames.slice(0, client.frames.indexOf(ack))
        .filter((f): f is DataFrame => f.type === FrameType.DATA);
      assert.equal(early.reduce((n, f) => n + f.data.length, 0), 1000);
      // A larger initial window (§6.9.2) lets the open stream go on; the connection window too.
      client.send(
        serializeSettings({ initialWindowSize: 1 << 20 }),
        serializeWindowUpdate(0, 1 << 20),
      );
      while (total < body.length) {
        const frame = await client.next((f) => f.type === FrameType.DATA, seen) as DataFrame;
        seen = client.frames.indexOf(frame, seen) + 1;
        assert.ok(
          frame.data.length <= 16384,
          "a DATA frame above the default SETTINGS_MAX_FRAME_SIZE",
        );
        received.push(...frame.data);
        total += frame.data.length;
        if (frame.endStream) break;
      }
      assert.equal(total, body.length);
      assert.deepEqual(new Uint8Array(received), body);
    } finally {
      client.close();
    }
    await holdsNothing(server);
  });

  it("takes a POST larger than the windows from Node's http2 client, whole", async () => {
    const server = await start(async (request) => {
      const bytes = new Uint8Array(await request.arrayBuffer());
      let sum = 0;
      for (const b of bytes) sum = (sum + b) % 65521;
      return new Response(`${bytes.length} ${sum}`);
    });
    const client = connect(`http://127.0.0.1:${server.port}`);
    try {
      const body = new Uint8Array(3 * 1024 * 1024 + 7).map((_, i) => (i * 7) % 256);
      let sum = 0;
      for (const b of body) sum = (sum + b) % 65521;
      const answer = await request(client, { ":method": "POST", ":path": "/big" }, body);
      assert.equal(answer.status, 200);
      assert.equal(answer.body, `${body.length} ${sum}`);
    } finally {
      await closeClient(client);
    }
    await holdsNothing(server);
  });
});
