/**
 * Graceful shutdown of HTTP/2 connections (RFC 9113 §6.8): `shutdown()`
 * sends GOAWAY with the last stream id, open streams finish, new ones are
 * refused, and the connection closes once its streams are done; an idle
 * connection gets its GOAWAY and closes at once.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  type DataFrame,
  ErrorCode,
  FrameType,
  type GoawayFrame,
  type RstStreamFrame,
} from "../../http2/mod.ts";
import { until } from "../_until.ts";
import { connect, holdsNothing, RawClient, request, start } from "./_serve.ts";

describe("HTTP/2 graceful shutdown through serve()", () => {
  it("sends GOAWAY with the last stream id, lets the open stream finish and refuses new ones", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered = 0;
    const server = await start(async () => {
      entered++;
      await gate;
      return new Response("finished");
    });
    const raw = await RawClient.connect(server.port!);
    try {
      raw.send(raw.headers(1, "GET", "/slow", true));
      await until(() => entered === 1, 10_000, "the handler to run");
      let stopped = false;
      const stopping = server.shutdown().then(() => stopped = true);
      const goaway = await raw.next((f) => f.type === FrameType.GOAWAY) as GoawayFrame;
      assert.deepEqual([goaway.errorCode, goaway.lastStreamId], [ErrorCode.NO_ERROR, 1]);
      // A stream opened after it is refused; the handler never sees it.
      raw.send(raw.headers(3, "GET", "/late", true));
      const refused = await raw.next((f) => f.type === FrameType.RST_STREAM) as RstStreamFrame;
      assert.deepEqual([refused.streamId, refused.errorCode], [3, ErrorCode.REFUSED_STREAM]);
      assert.equal(stopped, false);
      release();
      const data = await raw.next((f) =>
        f.type === FrameType.DATA && f.streamId === 1
      ) as DataFrame;
      assert.equal(new TextDecoder().decode(data.data), "finished");
      assert.equal(data.endStream, true);
      await raw.closed();
      await stopping;
      assert.equal(entered, 1);
    } finally {
      raw.close();
    }
    await holdsNothing(server);
  });

  it("closes an idle connection with GOAWAY (Node's client sees it)", async () => {
    const server = await start(() => new Response("hi"));
    const client = connect(`http://127.0.0.1:${server.port}`);
    const goaway = new Promise<[number, number]>((resolve) =>
      client.once("goaway", (code: number, lastStreamId: number) => resolve([code, lastStreamId]))
    );
    const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
    assert.equal((await request(client, { ":path": "/" })).body, "hi");
    await server.shutdown();
    assert.deepEqual(await goaway, [ErrorCode.NO_ERROR, 1]);
    await closed;
    await holdsNothing(server);
  });
});
