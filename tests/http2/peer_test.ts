import { after, before, describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import process from "node:process";
import {
  FrameParser,
  FrameType,
  HpackDecoder,
  HpackEncoder,
  Http2Error,
  serializeData,
  serializeGoaway,
  serializeHeaders,
  serializePing,
  serializeSettings,
  SETTINGS_ACK,
  validateRequestHeaders,
} from "../../http2/mod.ts";

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
}

function serveOnce(socket: Socket, seen: Seen): void {
  const parser = new FrameParser();
  const decoder = new HpackDecoder();
  const encoder = new HpackEncoder();
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
      parser.push(new Uint8Array(chunk));
      for (let frame = parser.next(); frame !== null; frame = parser.next()) {
        seen.frames.push(frame.type);
        switch (frame.type) {
          case FrameType.SETTINGS:
            if (!frame.ack) socket.write(SETTINGS_ACK);
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
  const seen: Seen = { frames: [], requests: [], errors: [] };
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

  /** One request on `client`: the response's headers and body. */
  function request(
    client: http2.ClientHttp2Session,
    headers: http2.OutgoingHttpHeaders,
    body?: string,
  ): Promise<{ headers: http2.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const stream = client.request(headers, { endStream: body === undefined });
      let text = "";
      let responseHeaders: http2.IncomingHttpHeaders = {};
      stream.setEncoding("utf8");
      stream.on("response", (h) => responseHeaders = h);
      stream.on("data", (chunk: string) => text += chunk);
      stream.on("end", () => resolve({ headers: responseHeaders, body: text }));
      stream.on("error", reject);
      if (body !== undefined) stream.end(body);
    });
  }

  it("parses its preface, SETTINGS, HEADERS and DATA, and it reads our HEADERS and DATA", async () => {
    const { port, seen } = server;
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on("error", () => {});
    try {
      const first = await request(client, { ":path": "/first?x=1", cookie: ["a=1", "b=2"] });
      assert.equal(first.headers[":status"], 200);
      assert.equal(first.headers["content-type"], "text/plain; charset=utf-8");
      assert.equal(first.headers["server"], "hussar-h2-test");
      assert.equal(first.headers["x-echo-path"], "/first?x=1");
      assert.equal(first.body, "GET /first?x=1 ");
      // The same fields again: both sides now index through their dynamic tables.
      const second = await request(client, { ":path": "/second", cookie: ["a=1", "b=2"] });
      assert.equal(second.headers["server"], "hussar-h2-test");
      assert.equal(second.body, "GET /second ");
      const posted = await request(
        client,
        { ":method": "POST", ":path": "/up" },
        "x".repeat(40000),
      );
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

const NGHTTP = process.env.HUSSAR_NGHTTP ?? "/usr/bin/nghttp";
const SKIP_NGHTTP = existsSync(NGHTTP) || process.env.CI === "true"
  ? false
  : `no nghttp at ${NGHTTP} (apt-get install nghttp2-client, or set HUSSAR_NGHTTP): skipped`;
if (SKIP_NGHTTP) console.log(`tests/http2/peer_test.ts: ${SKIP_NGHTTP}`);

describe("http2 modules against a real peer: nghttp (nghttp2-client)", () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  before(async () => server = await startServer());
  after(() => server.close());

  it("serves its concurrent requests (Huffman-coded, indexed fields; its PRIORITY frames)", {
    skip: SKIP_NGHTTP,
  }, async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const long = "v".repeat(3000);
    const child = spawn(NGHTTP, [
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
    ], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => stdout += s);
    child.stderr.setEncoding("utf8").on("data", (s: string) => stderr += s);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 0, stderr);
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
  });
});
