import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { start } from "../../examples/hono.ts";
import { runCli } from "../../cli.ts";
import { startExample } from "./_run.ts";

/** Hono's ESM entry, found in the node_modules above this file (here or in the npm build). */
function honoEntry(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let parent = dirname(dir); parent !== dir; dir = parent, parent = dirname(dir)) {
    const pkg = join(dir, "node_modules", "hono", "package.json");
    if (existsSync(pkg)) {
      const { exports } = JSON.parse(readFileSync(pkg, "utf8"));
      return pathToFileURL(join(dirname(pkg), exports["."].import)).href;
    }
  }
  throw new Error("hono (a devDependency) is not installed");
}

describe("examples/hono", () => {
  it("serves the Hono app's routes through serve()", async () => {
    const server = await start({ port: 0 });
    try {
      assert.equal(await (await fetch(server.url)).text(), "hello from hono on hussar");
      const hello = await fetch(new URL("/hello/ada", server.url));
      assert.match(hello.headers.get("content-type")!, /application\/json/);
      assert.deepEqual(await hello.json(), { hello: "ada" });
      const sum = await fetch(new URL("/sum", server.url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "[1, 2, 39]",
      });
      assert.deepEqual(await sum.json(), { sum: 42 });
      const bad = await fetch(new URL("/sum", server.url), { method: "POST", body: '"x"' });
      assert.equal(bad.status, 400);
      await bad.body?.cancel();
      const missing = await fetch(new URL("/nowhere", server.url));
      assert.equal(missing.status, 404);
      assert.equal(await missing.text(), "no such route");
    } finally {
      await server.shutdown();
    }
  });

  it("runs as a program", async () => {
    const program = await startExample("hono");
    try {
      const response = await fetch(new URL("/hello/program", program.url));
      assert.deepEqual(await response.json(), { hello: "program" });
    } finally {
      await program.stop();
    }
  });
});

describe("CLI interop", () => {
  it("serves a module whose default export is a Hono app", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hussar-hono-cli-"));
    try {
      const module = join(dir, "app.mjs");
      writeFileSync(
        module,
        `import { Hono } from ${JSON.stringify(honoEntry())};
const app = new Hono();
app.get("/", (c) => c.text("hono via the CLI"));
app.get("/items/:id", (c) => c.json({ id: Number(c.req.param("id")) }));
export default app;
`,
      );
      const server = await runCli({ module, port: 0, hostname: "127.0.0.1" }, () => {});
      try {
        assert.equal(await (await fetch(server.url)).text(), "hono via the CLI");
        assert.deepEqual(await (await fetch(new URL("/items/7", server.url))).json(), { id: 7 });
      } finally {
        await server.shutdown();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
