import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { gunzipSync } from "node:zlib";
import {
  availableEncodings,
  compress,
  type CompressionEncoding,
  compressResponse,
} from "../../helpers/mod.ts";
import { serve } from "../../serve/mod.ts";

const TEXT = "the quick brown fox jumps over the lazy dog\n".repeat(100); // 4400 bytes
const DECOMPRESSION: Record<CompressionEncoding, string> = {
  br: "brotli",
  gzip: "gzip",
  deflate: "deflate",
};

const get = (acceptEncoding: string | null, method = "GET") =>
  new Request("http://x/", {
    method,
    headers: acceptEncoding === null ? {} : { "accept-encoding": acceptEncoding },
  });

const text = (body: BodyInit | null = TEXT, init: ResponseInit = {}) =>
  new Response(body, { ...init, headers: { "content-type": "text/plain", ...init.headers } });

async function decompressed(response: Response, coding: CompressionEncoding): Promise<string> {
  const stream = response.body!.pipeThrough(
    new DecompressionStream(
      DECOMPRESSION[coding] as CompressionFormat,
    ) as unknown as TransformStream<
      Uint8Array,
      Uint8Array
    >,
  );
  return await new Response(stream).text();
}

describe("compressResponse()", () => {
  it("offers gzip and deflate everywhere, brotli where CompressionStream has it; each round-trips", async () => {
    const codings = availableEncodings();
    assert.ok(codings.includes("gzip") && codings.includes("deflate"));
    for (const coding of codings) {
      const response = await compressResponse(get(coding), text());
      assert.equal(response.headers.get("content-encoding"), coding);
      assert.equal(await decompressed(response, coding), TEXT, coding);
    }
  });

  it("chooses by Accept-Encoding q-values, refusing q=0, and falls back to identity", async () => {
    const cases: [string | null, CompressionEncoding | null][] = [
      ["gzip;q=0.5, deflate", "deflate"],
      ["deflate;q=0.2, gzip;q=0.9", "gzip"],
      ["GZIP", "gzip"],
      ["gzip;q=0", null],
      ["identity", null],
      ["deflate;q=0, gzip;q=0, br;q=0", null],
      ["*;q=0", null],
      ["compress, x-unknown", null],
      [null, null],
    ];
    for (const [accept, expected] of cases) {
      const response = await compressResponse(get(accept), text(), {
        encodings: ["gzip", "deflate"],
      });
      assert.equal(response.headers.get("content-encoding"), expected, String(accept));
      assert.equal(response.headers.get("vary"), "Accept-Encoding", String(accept));
      if (expected === null) assert.equal(await response.text(), TEXT, String(accept));
      else await response.body?.cancel();
    }
    const wildcard = await compressResponse(get("*"), text(), { encodings: ["deflate"] });
    assert.equal(wildcard.headers.get("content-encoding"), "deflate");
    await wildcard.body?.cancel();
  });

  it("drops Content-Length, weakens a strong ETag and appends to an existing Vary", async () => {
    const response = await compressResponse(
      get("gzip"),
      text(TEXT, {
        headers: { "content-length": String(TEXT.length), etag: '"v1"', vary: "Origin" },
      }),
    );
    assert.equal(response.headers.get("content-encoding"), "gzip");
    assert.equal(response.headers.get("content-length"), null);
    assert.equal(response.headers.get("etag"), 'W/"v1"');
    assert.equal(response.headers.get("vary"), "Origin, Accept-Encoding");
    assert.equal(await decompressed(response, "gzip"), TEXT);
  });

  it("keeps the status and compresses a streamed body of unknown length", async () => {
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode("first part, "));
        await new Promise((r) => setTimeout(r, 20));
        controller.enqueue(encoder.encode("second part"));
        controller.close();
      },
    });
    const response = await compressResponse(get("gzip"), text(body, { status: 201 }));
    assert.equal(response.status, 201);
    assert.equal(response.headers.get("content-encoding"), "gzip");
    assert.equal(await decompressed(response, "gzip"), "first part, second part");
  });

  it("leaves alone what must not or need not be compressed", async () => {
    const cases: [string, Request, () => Response][] = [
      ["HEAD", get("gzip", "HEAD"), () => text()],
      ["204", get("gzip"), () => new Response(null, { status: 204 })],
      ["304", get("gzip"), () => new Response(null, { status: 304 })],
      ["206", get("gzip"), () => text(TEXT, { status: 206 })],
      ["encoded", get("gzip"), () => text(TEXT, { headers: { "content-encoding": "br" } })],
      [
        "no-transform",
        get("gzip"),
        () => text(TEXT, { headers: { "cache-control": "public, no-transform" } }),
      ],
      [
        "image",
        get("gzip"),
        () => new Response(TEXT, { headers: { "content-type": "image/png" } }),
      ],
      ["untyped", get("gzip"), () => new Response(new Blob([TEXT]))],
      [
        "event stream",
        get("gzip"),
        () => new Response(TEXT, { headers: { "content-type": "text/event-stream" } }),
      ],
    ];
    for (const [name, request, make] of cases) {
      const original = make();
      const response = await compressResponse(request, original);
      assert.equal(response, original, name);
      await response.body?.cancel();
    }
  });

  it("sends small bodies as they are: by Content-Length, or complete at once and short", async () => {
    const declared = await compressResponse(
      get("gzip"),
      text("x".repeat(100), { headers: { "content-length": "100" } }),
    );
    assert.equal(declared.headers.get("content-encoding"), null);
    assert.equal(declared.headers.get("vary"), "Accept-Encoding");
    assert.equal(await declared.text(), "x".repeat(100));
    const short = await compressResponse(get("gzip"), text("short body"));
    assert.equal(short.headers.get("content-encoding"), null);
    assert.equal(await short.text(), "short body");
    const threshold = await compressResponse(get("gzip"), text("short body"), { threshold: 5 });
    assert.equal(threshold.headers.get("content-encoding"), "gzip");
    assert.equal(await decompressed(threshold, "gzip"), "short body");
    const json = await compressResponse(get("gzip"), Response.json({ list: Array(1000).fill(1) }));
    assert.equal(json.headers.get("content-encoding"), "gzip");
    assert.deepEqual(JSON.parse(await decompressed(json, "gzip")), { list: Array(1000).fill(1) });
  });
});

describe("compress() over serve()", () => {
  it("sends gzip bytes on the wire that decompress to the handler's body", async () => {
    const server = serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      compress(() => text()),
    );
    await server.ready;
    try {
      const { headers, body } = await new Promise<
        { headers: Record<string, unknown>; body: Uint8Array }
      >((resolve, reject) => {
        const request = httpRequest({
          host: "127.0.0.1",
          port: server.addr.port,
          path: "/",
          headers: { "accept-encoding": "gzip", connection: "close" },
        }, (response) => {
          const chunks: Uint8Array[] = [];
          response.on("data", (chunk: Uint8Array) => chunks.push(chunk));
          response.on("end", () => {
            const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
            let at = 0;
            for (const chunk of chunks) all.set(chunk, (at += chunk.length) - chunk.length);
            resolve({ headers: response.headers, body: all });
          });
        });
        request.on("error", reject);
        request.end();
      });
      assert.equal(headers["content-encoding"], "gzip");
      assert.equal(headers["vary"], "Accept-Encoding");
      assert.ok(body.length < TEXT.length / 4, `compressed to ${body.length} bytes`);
      assert.equal(new TextDecoder().decode(gunzipSync(body)), TEXT);
    } finally {
      await server.close();
    }
  });
});
