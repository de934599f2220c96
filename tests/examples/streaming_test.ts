import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { start } from "../../examples/streaming.ts";
import { startExample } from "./_run.ts";

describe("examples/streaming", () => {
  it("delivers the lines as they are produced, then all of them", async () => {
    const server = await start({ port: 0 });
    try {
      const response = await fetch(new URL("/count?to=5&every=40", server.url));
      const reader = response.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      assert.ok(first.startsWith("1\n"), first);
      assert.ok(!first.includes("5\n"), "the first read came before the stream ended");
      let rest = "";
      for (let step = await reader.read(); !step.done; step = await reader.read()) {
        rest += new TextDecoder().decode(step.value);
      }
      assert.equal(first + rest, "1\n2\n3\n4\n5\n");
      assert.equal((await fetch(new URL("/count?to=-1", server.url))).status, 400);
      assert.equal((await fetch(new URL("/elsewhere", server.url))).status, 404);
    } finally {
      await server.shutdown();
    }
  });

  it("lets go of a client that leaves mid-stream", async () => {
    const server = await start({ port: 0 });
    try {
      const controller = new AbortController();
      const response = await fetch(new URL("/count?to=1000000&every=5", server.url), {
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      await reader.read();
      controller.abort();
      await reader.cancel().catch(() => {});
      for (let i = 0; i < 400 && server.hussar.connectionCount > 0; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(server.hussar.connectionCount, 0);
    } finally {
      await server.close();
    }
  });

  it("runs as a program", async () => {
    const program = await startExample("streaming");
    try {
      const text = await (await fetch(new URL("/count?to=3&every=1", program.url))).text();
      assert.equal(text, "1\n2\n3\n");
    } finally {
      await program.stop();
    }
  });
});
