/**
 * The library's folders keep their layering by themselves: no folder takes
 * another's `_` file, internal/ takes only types, no two folders import each
 * other (scripts/_layering.ts states the rules).
 */
import { describe, it } from "../_testing.ts";
import { repositoryRoot } from "../_repo.ts";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { importsOf, INTERNAL, layeringProblems, loadedWith } from "../../scripts/_layering.ts";

/** The library's sources: deno.json's entry points, their folders, and internal/. */
function librarySources(root: string): Map<string, string> {
  const config = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
  const places = new Set<string>([INTERNAL]);
  for (const path of Object.values(config.exports) as string[]) {
    const relativePath = path.replace(/^\.\//, "");
    places.add(relativePath.includes("/") ? relativePath.split("/")[0] : relativePath);
  }
  const files = new Map<string, string>();
  const walk = (path: string): void => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path)) walk(join(path, name));
    } else if (path.endsWith(".ts")) {
      files.set(relative(root, path).split("\\").join("/"), readFileSync(path, "utf8"));
    }
  };
  for (const place of places) if (existsSync(join(root, place))) walk(join(root, place));
  return files;
}

describe("layering: the rules", () => {
  it("refuse a folder importing another folder's _ file", () => {
    const files = new Map([
      ["core/hussar.ts", 'import { context } from "../scheduler/_context.ts";'],
      ["scheduler/_context.ts", "export const context = {};"],
      ["scheduler/away.ts", 'import { context } from "./_context.ts";'],
    ]);
    assert.deepEqual(layeringProblems(files), [
      "core/hussar.ts imports scheduler/_context.ts, a private file of scheduler/",
    ]);
  });

  it("refuse a cycle between folders, however long, naming the imports that make it", () => {
    const files = new Map([
      ["serve/serve.ts", 'import { WorkerPool } from "../workers/pool.ts";'],
      ["workers/pool.ts", 'import { listen } from "../sources/listen.ts";'],
      ["sources/listen.ts", 'export { serve } from "../serve/serve.ts";'],
    ]);
    assert.deepEqual(layeringProblems(files), [
      "a cycle between folders serve/, sources/, workers/: serve/serve.ts -> workers/pool.ts; " +
      "sources/listen.ts -> serve/serve.ts; workers/pool.ts -> sources/listen.ts",
    ]);
  });

  it("let internal/ take types from anyone, and nothing else", () => {
    const files = new Map([
      ["internal/upgrade.ts", 'import type { ByteDuplex } from "../websocket/duplex.ts";'],
      ["websocket/upgrade.ts", 'import { claim } from "../internal/upgrade.ts";'],
      ["internal/bytes.ts", 'import { Connection } from "../core/connection.ts";'],
    ]);
    assert.deepEqual(layeringProblems(files), [
      "internal/bytes.ts imports core/connection.ts at run time: internal/ may import only types",
    ]);
  });

  it("read imports as written, not JSDoc examples, and tell type-only ones", () => {
    const source = [
      "/**",
      ' * import { x } from "../serve/_nothing.ts";',
      " */",
      'import { type A, type B } from "../core/a.ts";',
      'import { type C, d } from "../core/c.ts";',
      'export * from "./e.ts";',
      'const m = await import("../sources/_m.ts");',
    ].join("\n");
    assert.deepEqual(importsOf("serve/x.ts", source).map((e) => [e.to, e.typeOnly, e.dynamic]), [
      ["core/a.ts", true, false],
      ["core/c.ts", false, false],
      ["serve/e.ts", false, false],
      ["sources/_m.ts", false, true],
    ]);
  });
});

describe("layering: the library", () => {
  it("holds: no private import across folders, internal/ takes only types, no cycle", () => {
    const files = librarySources(repositoryRoot(import.meta.url));
    assert.ok(files.has("serve/serve.ts") && files.has("internal/logger.ts"), "sources found");
    assert.deepEqual(layeringProblems(files), []);
  });

  it("loads each runtime's socket adapter only: no node:net or node:tls with the root", () => {
    const files = librarySources(repositoryRoot(import.meta.url));
    for (const file of ["mod.ts", "serve/mod.ts", "sources/listen.ts"]) {
      const { files: loaded, builtins } = loadedWith(files, file);
      assert.ok(loaded.includes("serve/serve.ts") || file === "sources/listen.ts", file);
      assert.deepEqual(builtins.filter((b) => /^node:(net|tls)$/.test(b)), [], file);
      assert.ok(!loaded.some((f) => /^sources\/(deno|bun|node)\.ts$/.test(f)), file);
    }
  });
});
