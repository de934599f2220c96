/**
 * Streams through `serve()` (RFC 9113 §5.1): each request on a connection
 * runs at once and on its own, ids must be odd and increasing, at most 100
 * streams run at a time (REFUSED_STREAM beyond), and the response head is
 * what HTTP/1.1 would give, minus the connection-specific fields.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  ErrorCode,
  type Frame,
  FrameType,
  type GoawayFrame,
  type RstStreamFrame,
} from "../../http2/mod.ts";
import { closeClient, connect, holdsNothing, RawClient, request, start } from "./_serve.ts";

/** A handler whose requests all wait until `count` of them are in: they ran at once. */
function barrier(count: number): (request: Request) => Promise<Response> {
  let arrived = 0;
  let open!: () => void;
  const all = new Promise<void>((resolve) => (open = resolve));
  return async (request) => {
    if (++arrived === count) open();
    await all;
    return new Response(new URL(request.url).pathname, {
      headers: { connection: "close", "x-stream": "yes" },
    });
  };
}

describe("HTTP/2 streams through serve()", () => {
  it("runs several streams of one connection at once (Node's http2 client)", async () => {
    const server = await start(barrier(20));
    const client = connect(`http://127.0.0.1:${server.port}`);
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => request(client, { ":path": `/s/${i}` })),
      );
      assert.deepEqual(answers.map((a) => a.body), Array.from({ length: 20 }, (_, i) => `/s/${i}`));
      for (const answer of answers) {
        assert.equal(answer.status, 200);
        // Connection-specific fields are dropped (§8.2.2); the length is known.
        assert.equal(answer.headers.connection, undefined);
        assert.equal(answer.headers["x-stream"], "yes");
        assert.equal(answer.headers["content-length"], String(answer.body.length));
        assert.match(String(answer.headers.date), /GMT$/);
      }
      assert.equal(client.remoteSettings.maxConcurrentStreams, 100);
      assert.deepEqual(client.errors, []);
    } finally {
      await closeClient(client);
    }
    await holdsNothing(server);
  });

  it("refuses a stream beyond the 100 running (REFUSED_STREAM), and serves it once one ends", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered = 0;
    const server = await start(async (request) => {
      entered++;
      if (new URL(request.url).pathname === "/wait") await gate;
      return new Response("done");
    });
    const raw = await RawClient.connect(server.port!);
    try {
      for (let id = 1; id <= 199; id += 2) raw.send(raw.headers(id, "GET", "/wait", true));
      raw.send(raw.headers(201, "GET", "/more", true));
      const refused = await raw.next((f) => f.type === FrameType.RST_STREAM) as RstStreamFrame;
      assert.deepEqual([refused.streamId, refused.errorCode], [201, ErrorCode.REFUSED_STREAM]);
      release();
      const done = await raw.next((f) =>
        f.type === FrameType.DATA && f.streamId === 199 && f.endStream
      );
      assert.ok(done);
      assert.equal(entered, 100);
      raw.send(raw.headers(203, "GET", "/more", true));
      const later = await raw.next((f) => f.type === FrameType.HEADERS && f.streamId === 203);
      assert.equal(raw.fieldsOf(later).get(":status"), "200");
    } finally {
      raw.close();
    }
    await holdsNothing(server);
  });

  it("answers a malformed request with its status, and a stream id that goes back with GOAWAY", async () => {
    const server = await start(() => new Response("ok"));
    const raw = await RawClient.connect(server.port!);
    try {
      // §8.2.2: a connection-specific field is malformed: 400 on the stream, the connection goes on.
      raw.send(raw.headers(3, "GET", "/bad", true, [["connection", "keep-alive"]]));
      const bad = await raw.next((f) => f.type === FrameType.HEADERS && f.streamId === 3);
      assert.equal(raw.fieldsOf(bad).get(":status"), "400");
      // A method the server does not serve is refused as over HTTP/1.1.
      raw.send(raw.headers(5, "TRACE", "/", true));
      const trace = await raw.next((f) => f.type === FrameType.HEADERS && f.streamId === 5);
      const traced = raw.fieldsOf(trace);
      assert.equal(traced.get(":status"), "405");
      assert.equal(traced.get("allow"), "GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH");
      // §5.1.1: stream 1 is below the last one opened.
      raw.send(raw.headers(1, "GET", "/", true));
      const goaway = await raw.next((f: Frame) => f.type === FrameType.GOAWAY) as GoawayFrame;
      assert.deepEqual([goaway.errorCode, goaway.lastStreamId], [ErrorCode.PROTOCOL_ERROR, 5]);
      await raw.closed();
    } finally {
      raw.close();
    }
    await holdsNothing(server);
  });
});
