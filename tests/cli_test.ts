import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArguments, runCli } from "../cli.ts";

describe("CLI", () => {
  it("parses the module, --port and --hostname in either form", () => {
    assert.deepEqual(parseArguments(["app.ts"]), { module: "app.ts" });
    assert.deepEqual(parseArguments(["--port", "3000", "app.ts", "--hostname=::1"]), {
      module: "app.ts",
      port: 3000,
      hostname: "::1",
    });
  });

  it("refuses a missing module, unknown options and bad ports with the usage line", () => {
    for (
      const args of [[], ["--verbose", "a.ts"], ["--port", "x", "a.ts"], ["--port"], [
        "a.ts",
        "b.ts",
      ]]
    ) {
      assert.throws(() => parseArguments(args), /usage: hussar/);
    }
  });

  it("serves a module's default export { fetch } and a default fetch function", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hussar-cli-"));
    try {
      const objectModule = join(dir, "object.mjs");
      writeFileSync(
        objectModule,
        `export default { greeting: "hi", fetch(req) { return new Response(this.greeting + " " + new URL(req.url).pathname); } };`,
      );
      const functionModule = join(dir, "function.mjs");
      writeFileSync(functionModule, `export default () => new Response("fn");`);
      for (const [module, expected] of [[objectModule, "hi /x"], [functionModule, "fn"]]) {
        const server = await runCli({ module, port: 0, hostname: "127.0.0.1" }, () => {});
        assert.equal(await (await fetch(new URL("/x", server.url))).text(), expected);
        await server.shutdown();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a module without a fetch handler", async () => {
    const module = `data:text/javascript,export default { port: 1 }`;
    await assert.rejects(runCli({ module, port: 0 }), /must export default \{ fetch/);
  });
});
