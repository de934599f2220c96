/**
 * The HTTP/1.1 options where they mean the same over HTTP/2 (docs/http2.md's
 * table), through `serve()`: `requestTimeoutMs` (503, `request.signal`
 * aborts), `bodyTimeoutMs` (408), `maxBodyBytes` (413 by Content-Length or
 * by DATA), `keepAliveTimeoutMs` (GOAWAY, close), and the request framing
 * rules of §8.1 (DATA adding up to Content-Length, trailers ending the
 * stream).
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  type DataFrame,
  ErrorCode,
  type Frame,
  FrameType,
  type GoawayFrame,
  type RstStreamFrame,
  serializeData,
  serializeHeaders,
} from "../../http2/mod.ts";
import { holdsNothing, RawClient, start } from "./_serve.ts";

const on = (id: number, type: number) => (f: Frame): boolean =>
  f.streamId === id && f.type === type;

/** The status and body of the response on stream `id`. */
async function answer(raw: RawClient, id: number): Promise<[string, string]> {
  const head = await raw.next(on(id, FrameType.HEADERS));
  let body = "";
  let from = raw.frames.indexOf(head) + 1;
  while (!(head.type === FrameType.HEADERS && head.endStream)) {
    const data = await raw.next(on(id, FrameType.DATA), from) as DataFrame;
    from = raw.frames.indexOf(data) + 1;
    body += new TextDecoder().decode(data.data);
    if (data.endStream) break;
  }
  return [raw.fieldsOf(head).get(":status")!, body];
}

describe("HTTP/2 limits and timeouts through serve()", () => {
  it("requestTimeoutMs: a handler that does not answer in time gives 503 and sees its signal abort", async () => {
    let aborted!: () => void;
    const abort = new Promise<void>((resolve) => (aborted = resolve));
    const server = await start((request) => {
      request.signal.addEventListener("abort", () => aborted(), { once: true });
      return new Promise<Response>(() => {});
    }, { requestTimeoutMs: 200 });
    const raw = await RawClient.connect(server.port!);
    try {
      raw.send(raw.headers(1, "GET", "/", true));
      assert.deepEqual(await answer(raw, 1), ["503", "request handler timed out\n"]);
      await abort;
    } finally {
      raw.close();
    }
    await holdsNothing(server);
  });

  it("requestTimeoutMs: each stream has its own deadline; one that answers in time is not touched", async () => {
    const aborted: string[] = [];
    const server = await start((request) => {
      const path = new URL(request.url).pathname;
      if (path === "/fast") return new Response("fast");
      request.signal.addEventListener("abort", () => aborted.push(path), { once: true });
      return new Promise<Response>(() => {});
    }, { requestTimeoutMs: 300 });
    const raw = await RawClient.connect(server.port!);
    try {
      raw.send(raw.headers(1, "GET", "/first", true));
      // A later stream, while the first one's deadline runs.
      await new Promise((resolve) => setTimeout(resolve, 100));
      raw.send(raw.headers(3, "GET", "/second", true), raw.headers(5, "GET", "/fast", true));
      assert.deepEqual(await answer(raw, 5), ["200", "fast"]);
      assert.deepEqual(await answer(raw, 1), ["503", "request handler timed out\n"]);
      assert.deepEqual(await answer(raw, 3), ["503", "request handler timed out\n"]);
      assert.deepEqual(aborted, ["/first", "/second"]);
    } finally {
      raw.close();
    }
    await holdsNothing(server);
  });

  it("bodyTimeoutMs: a client silent while its body is read gets 408, then RST_STREAM(NO_ERROR)", async () => {
    const server = await start(async (request) => new Response(await request.text()), {
      bodyTimeoutMs: 200,
    });
    const raw = await RawClient.connect(server.port!);
    try {
      raw.send(raw.headers(1, "POST", "/", false), serializeData(1, new Uint8Array(10), false));
      const [status] = await answer(raw, 1);
      assert.equal(status, "408");
      const reset = await raw.next(on(1, FrameType.RST_STREAM)) as RstStreamFrame;
      assert.equal(reset.errorCode, ErrorCode.NO_ERROR);
    } finally {
      raw.close();
    }
    await holdsNothing(server);
  });

  it("maxBodyBytes: 413 for a Content-Length past it (the handler never runs) and for DATA past it", async () => {
    let calls = 0;
    const server = await start(async (request) => {
      calls++;
      return new Response(String((await request.arrayBuffer()).byteLength));
    }, { maxBodyBytes: 1000 });
    const raw = await RawClient.connect(server.port!);
    try {
      raw.send(raw.headers(1, "POST", "/", false, [["content-length", "1001"]]));
      assert.deepEqual(await answer(raw, 1), ["413", "request body larger than 1000 bytes\n"]);
      assert.equal(calls, 0);
      raw.send(raw.headers(3, "POST", "/", false), serializeData(3, new Uint8Array(1001), true));
      assert.deepEqual(await answer(raw, 3), ["413", "request body larger than 1000 bytes\n"]);
      raw.send(raw.headers(5, "POST", "/", false), serializeData(5, new Uint8Array(1000), true));
      assert.deepEqual(await answer(raw, 5), ["200", "1000"]);
    } finally {
      raw.close();
    }
    await holdsNothing(server);
  });

  it("§8.1: DATA that does not add up to Content-Length, and trailers without END_STREAM, reset the stream", async () => {
    const server = await start(async (request) => new Response(await request.text()));
    const raw = await RawClient.connect(server.port!);
    try {
      raw.send(
        raw.headers(1, "POST", "/", false, [["content-length", "5"]]),
        serializeData(1, new Uint8Array(4), true),
      );
      const short = await raw.next(on(1, FrameType.RST_STREAM)) as RstStreamFrame;
      assert.equal(short.errorCode, ErrorCode.PROTOCOL_ERROR);
      // (Blocks encoded in the order they are sent: HPACK state is shared.)
      raw.send(
        raw.headers(3, "POST", "/", false),
        serializeData(3, new Uint8Array(4), false),
        serializeHeaders(3, raw.encoder.encode([["x-checksum", "1"]]), false),
      );
      const open = await raw.next(on(3, FrameType.RST_STREAM)) as RstStreamFrame;
      assert.equal(open.errorCode, ErrorCode.PROTOCOL_ERROR);
      // Trailers that end the stream are taken (and dropped: a Request has none).
      raw.send(
        raw.headers(5, "POST", "/", false),
        serializeData(5, new TextEncoder().encode("body"), false),
        serializeHeaders(5, raw.encoder.encode([["x-checksum", "2"]]), true),
      );
      assert.deepEqual(await answer(raw, 5), ["200", "body"]);
    } finally {
      raw.close();
    }
    await holdsNothing(server);
  });

  it("keepAliveTimeoutMs: a connection with no stream gets GOAWAY(NO_ERROR) and is closed", async () => {
    const server = await start(() => new Response("hi"), { keepAliveTimeoutMs: 200 });
    const raw = await RawClient.connect(server.port!);
    try {
      raw.send(raw.headers(1, "GET", "/", true));
      assert.deepEqual(await answer(raw, 1), ["200", "hi"]);
      const goaway = await raw.next((f) => f.type === FrameType.GOAWAY) as GoawayFrame;
      assert.deepEqual([goaway.errorCode, goaway.lastStreamId], [ErrorCode.NO_ERROR, 1]);
      await raw.closed();
    } finally {
      raw.close();
    }
    await holdsNothing(server);
  });
});
