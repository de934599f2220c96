/**
 * RST_STREAM through `serve()` (RFC 9113 §6.4), both ways: a client that
 * resets its stream aborts `request.signal`, cancels the response body and
 * rejects `info.completed`, while the connection's other streams go on; a
 * handler that fails after its response began gets its stream reset.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { ErrorCode, FrameType, type RstStreamFrame } from "../../http2/mod.ts";
import { until } from "../_until.ts";
import { closeClient, connect, holdsNothing, RawClient, request, start } from "./_serve.ts";

describe("HTTP/2 stream resets through serve()", () => {
  it("a client's RST_STREAM aborts request.signal and cancels the response body; other streams go on", async () => {
    const seen: string[] = [];
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    let cancelled = false;
    const server = await start((request, info) => {
      if (new URL(request.url).pathname !== "/wait") return new Response("other");
      info.completed.then(() => seen.push("completed"), () => seen.push("not completed"));
      request.signal.addEventListener("abort", () => seen.push("aborted"), { once: true });
      entered();
      return new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("first"));
          },
          cancel() {
            cancelled = true;
          },
        }),
      );
    });
    const client = connect(`http://127.0.0.1:${server.port}`);
    try {
      const stream = client.request({ ":path": "/wait" });
      stream.on("error", () => {});
      const first = new Promise<string>((resolve) =>
        stream.once("data", (chunk: Uint8Array) => resolve(new TextDecoder().decode(chunk)))
      );
      await inside;
      assert.equal(await first, "first");
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await until(
        () => seen.length === 2 && cancelled,
        10_000,
        "the handler to learn of the reset",
      );
      assert.deepEqual(seen.sort(), ["aborted", "not completed"]);
      // The connection is still there for the next request.
      const other = await request(client, { ":path": "/other" });
      assert.deepEqual([other.status, other.body], [200, "other"]);
    } finally {
      await closeClient(client);
    }
    await holdsNothing(server);
  });

  it("a handler still waiting when its stream is reset is told, and the stream stops counting once it ends", async () => {
    let aborted = 0;
    let entered = 0;
    const server = await start((request) =>
      new Promise<Response>((resolve) => {
        entered++;
        request.signal.addEventListener("abort", () => {
          aborted++;
          resolve(new Response("too late"));
        }, { once: true });
      })
    );
    const raw = await RawClient.connect(server.port!);
    try {
      raw.send(raw.headers(1, "GET", "/", true));
      await until(() => entered === 1, 10_000, "the handler to run");
      raw.send(new Uint8Array([0, 0, 4, FrameType.RST_STREAM, 0, 0, 0, 0, 1, 0, 0, 0, 8]));
      await until(() => aborted === 1, 10_000, "request.signal to abort");
      // Nothing is sent on a stream the client reset; the next stream is served.
      raw.send(raw.headers(3, "GET", "/", true));
      await until(() => entered === 2, 10_000, "the handler to run again");
      raw.send(new Uint8Array([0, 0, 4, FrameType.RST_STREAM, 0, 0, 0, 0, 3, 0, 0, 0, 8]));
      await until(() => aborted === 2, 10_000, "the second stream's signal to abort");
      assert.equal(raw.frames.filter((f) => f.streamId === 1 || f.streamId === 3).length, 0);
    } finally {
      raw.close();
    }
    await holdsNothing(server);
  });

  it("resets a stream whose response body fails after its head went out (INTERNAL_ERROR)", async () => {
    let producer!: ReadableStreamDefaultController<Uint8Array>;
    const server = await start(() =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            producer = controller;
            controller.enqueue(new TextEncoder().encode("partial"));
          },
        }),
      ), { logger: false });
    const raw = await RawClient.connect(server.port!);
    try {
      raw.send(raw.headers(1, "GET", "/", true));
      // The body breaks once its first part has reached the client.
      await raw.next((f) => f.type === FrameType.DATA && f.streamId === 1);
      producer.error(new Error("the producer broke"));
      const reset = await raw.next((f) => f.type === FrameType.RST_STREAM) as RstStreamFrame;
      assert.deepEqual([reset.streamId, reset.errorCode], [1, ErrorCode.INTERNAL_ERROR]);
      assert.equal(
        raw.fieldsOf(raw.frames.find((f) => f.type === FrameType.HEADERS)!).get(":status"),
        "200",
      );
    } finally {
      raw.close();
    }
    await holdsNothing(server);
  });
});
