import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { start } from "../../examples/hello.ts";
import { startExample } from "./_run.ts";

describe("examples/hello", () => {
  it("greets by path over a real socket", async () => {
    const server = await start({ port: 0 });
    try {
      const root = await fetch(server.url);
      assert.equal(root.headers.get("content-type"), "text/plain; charset=utf-8");
      assert.equal(await root.text(), "hello\n");
      assert.equal(await (await fetch(new URL("/ada", server.url))).text(), "hello, ada\n");
    } finally {
      await server.shutdown();
    }
  });

  it("runs as a program on PORT, printing its URL", async () => {
    const program = await startExample("hello");
    try {
      assert.equal(
        await (await fetch(new URL("/program", program.url))).text(),
        "hello, program\n",
      );
    } finally {
      await program.stop();
    }
  });
});
