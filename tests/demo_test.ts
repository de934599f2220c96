import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { demoHandler } from "../demo/app.ts";
import { serve } from "../serve/mod.ts";

describe("the demo server (main job)", () => {
  it("serves its page, echo, stream and SSE endpoints over a real socket", async () => {
    const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, demoHandler);
    await server.ready;
    try {
      const page = await fetch(server.url);
      assert.match(page.headers.get("content-type")!, /text\/html/);
      assert.match(await page.text(), /served here by (Deno|Bun|Node)/);

      const echo = await fetch(new URL("/echo", server.url), {
        method: "POST",
        body: "round trip",
      });
      assert.equal(await echo.text(), "round trip");
      assert.equal((await fetch(new URL("/echo", server.url))).status, 405);

      const stream = await fetch(new URL("/stream", server.url));
      assert.equal(
        await stream.text(),
        Array.from({ length: 10 }, (_, i) => `line ${i + 1} of 10\n`).join(""),
      );

      const controller = new AbortController();
      const sse = await fetch(new URL("/sse", server.url), { signal: controller.signal });
      assert.equal(sse.headers.get("content-type"), "text/event-stream");
      const first = await sse.body!.getReader().read();
      assert.match(new TextDecoder().decode(first.value), /^data: tick 0 at /);
      controller.abort();

      assert.equal((await fetch(new URL("/missing", server.url))).status, 404);
    } finally {
      await server.close();
    }
  });
});
