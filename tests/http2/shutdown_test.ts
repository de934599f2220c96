/**
 * Graceful shutdown of HTTP/2 connections (RFC 9113 §6.8): `shutdown()`
 * sends GOAWAY with the last stream id, open streams finish, new ones are
 * refused, and the connection closes once its streams are done; an idle
 * connection gets its GOAWAY and closes at once.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { ErrorCode } from "../../http2/mod.ts";
import { connect, holdsNothing, request, shutsDownGracefully, start } from "./_serve.ts";

describe("HTTP/2 graceful shutdown through serve()", () => {
  it("sends GOAWAY with the last stream id, lets the open stream finish and refuses new ones", async () => {
    await holdsNothing(await shutsDownGracefully());
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
