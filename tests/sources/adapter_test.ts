/**
 * Each runtime listens with its own adapter: the npm package picks it by
 * the `deno`, `bun` and `node` conditions of its `#hussar/listen` import,
 * and the sources as they are (no package.json mapping) by the globals.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { listen } from "../../sources/mod.ts";
import { RUNTIME_ADAPTER } from "../../internal/runtime_types.ts";

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/** The npm build this compiled test sits in (`<build>/esm/tests/sources/`), if it does. */
function ownBuild(): string | null {
  if (!import.meta.url.endsWith(".js")) return null;
  const build = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
  return existsSync(join(build, "package.json")) ? build : null;
}

describe("the socket adapter", () => {
  it("is the runtime's own", async () => {
    const listener = await listen({ hostname: "127.0.0.1", port: 0 });
    try {
      assert.equal(listener.runtime, runtime);
    } finally {
      await listener.close();
    }
  });

  it(
    "is chosen by the npm package's conditional import, one target a runtime",
    { skip: ownBuild() === null ? "runs from an npm build" : false },
    async () => {
      const pkg = JSON.parse(readFileSync(join(ownBuild()!, "package.json"), "utf8"));
      assert.deepEqual(pkg.imports[RUNTIME_ADAPTER], {
        deno: "./esm/sources/deno.js",
        bun: "./esm/sources/bun.js",
        node: "./esm/sources/node.js",
        default: "./esm/sources/node.js",
      });
      const specifier: string = RUNTIME_ADAPTER;
      const adapter = await import(specifier);
      assert.equal(
        typeof adapter[`listen${runtime[0].toUpperCase()}${runtime.slice(1)}`],
        "function",
      );
      assert.deepEqual(Object.keys(adapter).filter((name) => name.startsWith("listen")), [
        `listen${runtime[0].toUpperCase()}${runtime.slice(1)}`,
      ]);
    },
  );
});
