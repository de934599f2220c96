import { after, before, describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { createServer, type Socket } from "node:net";
import {
  applySettings,
  FrameParser,
  FrameType,
  HpackDecoder,
  HpackEncoder,
  Http2Error,
  INITIAL_SETTINGS,
  serializeData,
  serializeGoaway,
  serializeHeaders,
  serializePing,
  serializeSettings,
  SETTINGS_ACK,
  validateRequestHeaders,
} from "../../http2/mod.ts";
import { concat, parseEveryWay } from "./_h2.ts";
import { H2LOAD, NGHTTP, request, run, skipWithout } from "./_serve.ts";

/**
 * A minimal HTTP/2 server made of the http2/ modules alone, on a plain TCP
 * socket: it answers each request with its method, path and body, so that a
 * real client (Node's http2, on every runtime) checks our frames and HPACK
 * against its own. Everything it parsed is recorded.
 */
interface Seen {
  frames: number[];
  requests: {
    method: string;
    target: string;
    cookie: string | null;
    long: string | null;
    body: string;
  }[];
  errors: unknown[];
  /** Every byte received, connection after connection. */
  received: Uint8Array[];
}

function serveOnce(socket: Socket, seen: Seen): void {
  const parser = new FrameParser();
  const decoder = new HpackDecoder();
  const encoder = new HpackEncoder();
  const peer = { ...INITIAL_SETTINGS };
  const bodies = new Map<
    number,
    { head: ReturnType<typeof validateRequestHeaders>; body: string }
  >();
  socket.write(serializeSettings({ maxConcurrentStreams: 100, enablePush: 0 }));
  const respond = (streamId: number): void => {
    const { head, body } = bodies.get(streamId)!;
    bodies.delete(streamId);
    seen.requests.push({
      method: head.method,
      target: head.target,
      cookie: head.headers.get("cookie"),
      long: head.headers.get("x-long"),
      body,
    });
    const text = `${head.method} ${head.target} ${body}`;
    const block = encoder.encode([
      [":status", "200"],
      ["content-type", "text/plain; charset=utf-8"],
      ["Server", "hussar-h2-test"],
      ["set-cookie", "s=1"],
      ["x-echo-path", head.target],
    ]);
    socket.write(serializeHeaders(streamId, block, false, 16384));
    // DATA frames no larger than the client's SETTINGS_MAX_FRAME_SIZE (its default, 16384).
    const bytes = new TextEncoder().encode(text);
    for (let at = 0; at < bytes.length; at += 16384) {
      const end = Math.min(at + 16384, bytes.length);
      socket.write(serializeData(streamId, bytes.subarray(at, end), end === bytes.length));
    }
  };
  socket.on("data", (chunk: Uint8Array) => {
    try {
      // A copy: the parser may hand out views of what it was given.
      const bytes = new Uint8Array(chunk);
      seen.received.push(bytes);
      parser.push(bytes);
      for (let frame = parser.next(); frame !== null; frame = parser.next()) {
        seen.frames.push(frame.type);
        switch (frame.type) {
          case FrameType.SETTINGS:
            if (frame.ack) break;
            applySettings(peer, frame.parameters);
            encoder.setPeerMaxTableSize(peer.headerTableSize);
            socket.write(SETTINGS_ACK);
            break;
          case FrameType.PING:
            if (!frame.ack) socket.write(serializePing(frame.data, true));
            break;
          case FrameType.HEADERS: {
            const head = validateRequestHeaders(decoder.decode(frame.headerBlock));
            bodies.set(frame.streamId, { head, body: "" });
            if (frame.endStream) respond(frame.streamId);
            break;
          }
          case FrameType.GOAWAY:
            socket.end(); // the client is done: so are we
            break;
          case FrameType.DATA: {
            const entry = bodies.get(frame.streamId)!;
            entry.body += new TextDecoder().decode(frame.data);
            if (frame.endStream) respond(frame.streamId);
            break;
          }
        }
      }
    } catch (error) {
      seen.errors.push(error);
      const code = error instanceof Http2Error ? error.code : 2;
      socket.end(serializeGoaway(0, code));
    }
  });
  socket.on("error", () => {});
}

/** A TCP server on loopback whose connections {@linkcode serveOnce} serves. */
async function startServer(): Promise<{ port: number; seen: Seen; close(): Promise<void> }> {
  const seen: Seen = { frames: [], requests: [], errors: [], received: [] };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    serveOnce(socket, seen);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    seen,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("http2 modules against a real peer: Node's http2 client", () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  before(async () => server = await startServer());
  after(() => server.close());

  it("parses its preface, SETTINGS, HEADERS and DATA, and it reads our HEADERS and DATA", async () => {
    const { port, seen } = server;
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on("error", () => {});
    try {
      // Every response's fields, checked whole: the second and third are mostly indices into
      // the client's copy of our dynamic table, which must match ours entry for entry.
      const expect = (path: string) => ({
        ":status": 200,
        "content-type": "text/plain; charset=utf-8",
        "server": "hussar-h2-test",
        "set-cookie": ["s=1"],
        "x-echo-path": path,
      });
      const fields = (headers: http2.IncomingHttpHeaders) =>
        Object.fromEntries(Object.entries(headers));
      const first = await request(client, { ":path": "/first?x=1", cookie: ["a=1", "b=2"] });
      assert.deepEqual(fields(first.headers), expect("/first?x=1"));
      // The client saw set-cookie as never-indexed (RFC 7541 §6.2.3).
      const sensitive = (first.headers as Record<symbol, unknown>)[http2.sensitiveHeaders];
      assert.deepEqual(sensitive, ["set-cookie"]);
      assert.equal(first.body, "GET /first?x=1 ");
      const second = await request(client, { ":path": "/second", cookie: ["a=1", "b=2"] });
      assert.deepEqual(fields(second.headers), expect("/second"));
      assert.equal(second.body, "GET /second ");
      const posted = await request(
        client,
        { ":method": "POST", ":path": "/up" },
        "x".repeat(40000),
      );
      assert.deepEqual(fields(posted.headers), expect("/up"));
      assert.equal(posted.body, `POST /up ${"x".repeat(40000)}`);
      assert.deepEqual(seen.errors, []);
      assert.deepEqual(seen.requests.map((r) => [r.method, r.target, r.cookie]), [
        ["GET", "/first?x=1", "a=1; b=2"],
        ["GET", "/second", "a=1; b=2"],
        ["POST", "/up", null],
      ]);
      assert.equal(seen.frames[0], FrameType.SETTINGS);
      assert.ok(seen.frames.includes(FrameType.DATA));
      // A PING from the client is answered with our serialiser.
      const rtt = await new Promise<number>((resolve, reject) =>
        client.ping((error, duration) => error ? reject(error) : resolve(duration))
      );
      assert.ok(rtt >= 0);
    } finally {
      await new Promise<void>((resolve) => client.close(() => resolve()));
    }
  });
});

describe("http2 modules against a real peer: nghttp (nghttp2-client)", () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  before(async () => server = await startServer());
  after(() => server.close());

  it("serves its concurrent requests (Huffman-coded, indexed fields; its PRIORITY frames)", {
    skip: skipWithout(NGHTTP, "nghttp2-client"),
  }, async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const long = "v".repeat(3000);
    const { code, out: stdout, err } = await run(NGHTTP, [
      "--timeout=20",
      "-H",
      `x-long: ${long}`,
      "-H",
      "cookie: a=1",
      "-H",
      "cookie: b=2",
      `${base}/one?x=1`,
      `${base}/two`,
      `${base}/three`,
    ]);
    assert.equal(code, 0, stdout + err);
    assert.deepEqual(server.seen.errors, []);
    // nghttp writes the bodies one after the other, in the order they complete.
    for (const path of ["/one?x=1", "/two", "/three"]) {
      assert.ok(stdout.includes(`GET ${path} `), stdout);
    }
    assert.deepEqual(
      server.seen.requests.map((r) => [r.target, r.cookie, r.long]).sort(),
      [["/one?x=1", "a=1; b=2", long], ["/three", "a=1; b=2", long], ["/two", "a=1; b=2", long]],
    );
    assert.equal(server.seen.frames[0], FrameType.SETTINGS);
    // nghttp's bytes, parsed again split at every offset, give the same frames, and its
    // header blocks, decoded again in order, the same requests.
    const received = concat(...server.seen.received);
    const frames = parseEveryWay(received, {});
    assert.deepEqual(frames.map((frame) => frame.type), server.seen.frames);
    const decoder = new HpackDecoder();
    const targets = frames.filter((frame) => frame.type === FrameType.HEADERS).map((frame) =>
      validateRequestHeaders(decoder.decode(Uint8Array.from(frame.headerBlock as number[])))
        .target
    );
    assert.deepEqual(targets, server.seen.requests.map((r) => r.target));
  });
});

describe("http2 modules against a real peer: h2load (nghttp2-client)", () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  before(async () => server = await startServer());
  after(() => server.close());

  it("completes 300 requests, 10 at a time on each of 3 connections, every one a 200", {
    skip: skipWithout(H2LOAD, "nghttp2-client"),
  }, async () => {
    // h2load takes the 30 paths in turn: our encoder keeps adding their x-echo-path (over 200
    // octets each) to its 4 KiB table and evicting, and h2load's decoder must agree every time.
    const paths = Array.from(
      { length: 30 },
      (_, i) => `http://127.0.0.1:${server.port}/load/${i}/${"p".repeat(200)}`,
    );
    const { code, out, err } = await run(H2LOAD, [
      "-n",
      "300",
      "-c",
      "3",
      "-m",
      "10",
      "-T",
      "20",
      ...paths,
    ]);
    assert.equal(code, 0, out + err);
    assert.match(out, /300 succeeded, 0 failed, 0 errored/, out);
    assert.match(out, /status codes: 300 2xx/, out);
    assert.deepEqual(server.seen.errors, []);
    assert.equal(server.seen.requests.length, 300);
    assert.equal(new Set(server.seen.requests.map((r) => r.target)).size, 30);
  });
});
