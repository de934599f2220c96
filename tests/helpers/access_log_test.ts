import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { accessLog, clfDate } from "../../helpers/mod.ts";
import { serve } from "../../serve/mod.ts";

/** 2000-10-10 13:55:36 UTC, the date of the Apache documentation's example line. */
const FIXED = Date.UTC(2000, 9, 10, 13, 55, 36);
const INFO = { remoteAddr: { hostname: "10.0.0.7" } };

function logged(
  handler: (request: Request) => Response | Promise<Response>,
): { lines: string[]; handler: (request: Request, info: unknown) => Promise<Response> } {
  const lines: string[] = [];
  return { lines, handler: accessLog(handler, { write: (l) => lines.push(l), now: () => FIXED }) };
}

describe("clfDate()", () => {
  it("formats day/Mon/year:hh:mm:ss +0000 with two-digit fields", () => {
    assert.equal(clfDate(FIXED), "10/Oct/2000:13:55:36 +0000");
    assert.equal(clfDate(Date.UTC(2024, 0, 2, 3, 4, 5)), "02/Jan/2024:03:04:05 +0000");
  });
});

describe("accessLog()", () => {
  it('writes host ident authuser [date] "request-line" status bytes, with Content-Length', async () => {
    const { lines, handler } = logged(() =>
      new Response("hello", { status: 201, headers: { "content-length": "5" } })
    );
    const response = await handler(new Request("http://x/path?q=1", { method: "POST" }), INFO);
    assert.equal(await response.text(), "hello");
    assert.deepEqual(lines, [
      '10.0.0.7 - - [10/Oct/2000:13:55:36 +0000] "POST /path?q=1 HTTP/1.1" 201 5',
    ]);
  });

  it("names the Basic user, escaped, and uses - for an unknown host", async () => {
    const { lines, handler } = logged(() => new Response(null, { status: 204 }));
    const basic = (credentials: string) => ({ authorization: `Basic ${btoa(credentials)}` });
    await handler(new Request("http://x/", { headers: basic("frank:secret") }), undefined);
    await handler(new Request("http://x/", { headers: basic('a "b":pw') }), {});
    await handler(new Request("http://x/", { headers: { authorization: "Bearer t" } }), INFO);
    assert.deepEqual(lines, [
      '- - frank [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 204 -',
      '- - a\\x20\\x22b\\x22 [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 204 -',
      '10.0.0.7 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 204 -',
    ]);
  });

  it("counts a streamed body as it is read and writes the line when it ends", async () => {
    const encoder = new TextEncoder();
    const { lines, handler } = logged(() =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(encoder.encode("abc"));
            controller.enqueue(encoder.encode("defgh"));
            controller.close();
          },
        }),
      )
    );
    const response = await handler(new Request("http://x/s"), INFO);
    assert.deepEqual(lines, [], "nothing is known before the body is read");
    assert.equal(await response.text(), "abcdefgh");
    assert.deepEqual(lines, [
      '10.0.0.7 - - [10/Oct/2000:13:55:36 +0000] "GET /s HTTP/1.1" 200 8',
    ]);
  });

  it("logs what was read of a cancelled body, and - for HEAD", async () => {
    const { lines, handler } = logged(() =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            controller.enqueue(new Uint8Array(10));
          },
        }),
      )
    );
    const reader = (await handler(new Request("http://x/endless"), INFO)).body!.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    await handler(new Request("http://x/h", { method: "HEAD" }), INFO);
    assert.deepEqual(lines, [
      '10.0.0.7 - - [10/Oct/2000:13:55:36 +0000] "GET /endless HTTP/1.1" 200 20',
      '10.0.0.7 - - [10/Oct/2000:13:55:36 +0000] "HEAD /h HTTP/1.1" 200 -',
    ]);
  });

  it("logs a throwing handler as 500 and rethrows its error", async () => {
    const { lines, handler } = logged(() => {
      throw new Error("boom");
    });
    await assert.rejects(handler(new Request("http://x/fail"), INFO), /boom/);
    assert.deepEqual(lines, [
      '10.0.0.7 - - [10/Oct/2000:13:55:36 +0000] "GET /fail HTTP/1.1" 500 -',
    ]);
  });

  it("logs requests served by serve() with the client's address and the bytes sent", async () => {
    const lines: string[] = [];
    const server = serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      accessLog(() => new Response("x".repeat(1000)), { write: (l) => lines.push(l) }),
    );
    await server.ready;
    try {
      const response = await fetch(new URL("/logged?a=b", server.url));
      assert.equal((await response.text()).length, 1000);
      for (let i = 0; i < 100 && lines.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal(lines.length, 1);
      assert.match(
        lines[0],
        /^127\.0\.0\.1 - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET \/logged\?a=b HTTP\/1\.1" 200 1000$/,
      );
    } finally {
      await server.close();
    }
  });
});
