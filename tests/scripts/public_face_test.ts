/**
 * What a newcomer meets first stays small (issue 17): the root entry point
 * exports what a `serve()` user needs and nothing of the layers under it,
 * each entry point has one name per concept, and the README stays short,
 * with the rest in docs/.
 */
import { describe, it } from "../_testing.ts";
import { repositoryRoot } from "../_repo.ts";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as root from "../../mod.ts";
import * as scheduler from "../../scheduler/mod.ts";
import * as core from "../../core/mod.ts";
import * as httputil from "../../httputil/mod.ts";
import * as sources from "../../sources/mod.ts";
import * as serve from "../../serve/mod.ts";
import * as helpers from "../../helpers/mod.ts";
import * as http2 from "../../http2/mod.ts";
import * as websocket from "../../websocket/mod.ts";
import * as workers from "../../workers/mod.ts";
import { KNOWN } from "../../serve/_options.ts";

const ENTRIES: Record<string, Record<string, unknown>> = {
  ".": root,
  "./scheduler": scheduler,
  "./core": core,
  "./httputil": httputil,
  "./sources": sources,
  "./serve": serve,
  "./helpers": helpers,
  "./http2": http2,
  "./websocket": websocket,
  "./workers": workers,
};

describe("the root entry point, @hussar/core", () => {
  it("exports 20 to 30 run-time names, serve() and what goes with it", () => {
    const names = Object.keys(root);
    assert.ok(names.length >= 20 && names.length <= 30, `${names.length}: ${names.join(" ")}`);
    for (const name of ["serve", "HttpServer", "upgradeWebSocket", "serveDir", "ListenError"]) {
      assert.ok(name in root, name);
    }
  });

  it("keeps the layers on their subpaths: no scheduler setTimeout to auto-import by mistake", () => {
    for (
      const name of ["setTimeout", "setRepeat", "Scheduler", "Hussar", "listenNode", "httpHandler"]
    ) {
      assert.ok(!(name in root), `${name} is exported by the root`);
    }
    for (
      const name of ["getCurrentThread", "scheduleThread", "wakebackLater", "sleep", "setTimeout"]
    ) {
      assert.ok(name in scheduler, `@hussar/core/scheduler lacks ${name}`);
    }
    for (const name of ["waitForRequest", "respondOn", "httpHandler"]) {
      assert.ok(name in httputil, `@hussar/core/httputil lacks ${name}`);
    }
    assert.ok("Hussar" in core && "listen" in sources && "WorkerPool" in workers);
  });
});

describe("every entry point", () => {
  it("has one name per concept: no two names for the same value", () => {
    for (const [entry, module] of Object.entries(ENTRIES)) {
      const byValue = new Map<unknown, string[]>();
      for (const [name, value] of Object.entries(module)) {
        byValue.set(value, [...(byValue.get(value) ?? []), name]);
      }
      const aliases = [...byValue.values()].filter((names) => names.length > 1);
      assert.deepEqual(aliases, [], `${entry} exports aliases`);
    }
  });
});

/** The library's `.ts` files that are not private to their folder, as path → source. */
function publicSources(repo: string): Map<string, string> {
  const config = JSON.parse(readFileSync(join(repo, "deno.json"), "utf8"));
  const folders = new Set<string>();
  for (const path of Object.values(config.exports) as string[]) {
    const parts = path.replace(/^\.\//, "").split("/");
    if (parts.length > 1) folders.add(parts[0]);
  }
  const files = new Map<string, string>();
  for (const folder of folders) {
    for (const name of readdirSync(join(repo, folder))) {
      if (name.endsWith(".ts") && !name.startsWith("_")) {
        files.set(`${folder}/${name}`, readFileSync(join(repo, folder, name), "utf8"));
      }
    }
  }
  return files;
}

/** Members named `_x`: internals are `#private` or keyed by a symbol from a `_` file instead. */
function underscoreMembers(path: string, source: string): string[] {
  return source.split("\n").flatMap((line, i) => {
    const member = /^\s+(?:readonly\s+|static\s+|async\s+)*(_[A-Za-z]\w*)\s*[(:?=<]/.exec(line);
    return member === null ? [] : [`${path}:${i + 1}: ${member[1]}`];
  });
}

/** Where this test runs from an npm build (`<build>/esm/tests/scripts/`): that build's esm/. */
function ownBuildEsm(): string | null {
  if (!import.meta.url.endsWith(".js")) return null;
  const esm = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  return existsSync(join(esm, "mod.d.ts")) ? esm : null;
}

function declarations(dir: string, under = ""): string[] {
  return readdirSync(join(dir, under)).flatMap((name) => {
    const path = under === "" ? name : `${under}/${name}`;
    if (statSync(join(dir, path)).isDirectory()) {
      return ["tests", "scripts", "examples", "demo"].includes(path) ? [] : declarations(dir, path);
    }
    return path.endsWith(".d.ts") ? [path] : [];
  });
}

describe("internal members", () => {
  it("are #private or symbol-keyed, never a public member named `_x`", () => {
    const problems = [...publicSources(repositoryRoot(import.meta.url))].flatMap(([path, source]) =>
      underscoreMembers(path, source)
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(underscoreMembers("x.ts", "class A {\n  /** Hi. */\n  _x = 1;\n}"), [
      "x.ts:3: _x",
    ]);
  });

  it("are not in the npm build's .d.ts files", {
    skip: ownBuildEsm() === null ? "runs from an npm build (Node)" : false,
  }, () => {
    const esm = ownBuildEsm()!;
    const leaked = declarations(esm).flatMap((file) =>
      readFileSync(join(esm, file), "utf8").split("\n")
        .filter((line) => /^\s+(?:readonly\s+|static\s+)*_[A-Za-z]\w*\s*[(:?<]/.test(line))
        .map((line) => `${file}: ${line.trim()}`)
    );
    assert.ok(declarations(esm).includes("core/connection.d.ts"));
    assert.deepEqual(leaked, []);
  });
});

describe("the documentation", () => {
  it("has a README of at most 16 KB and the rest in docs/, four pages or more", () => {
    const repo = repositoryRoot(import.meta.url);
    const readme = statSync(join(repo, "README.md")).size;
    assert.ok(readme <= 16 * 1024, `README.md is ${readme} bytes`);
    const pages = readdirSync(join(repo, "docs")).filter((name) => name.endsWith(".md"));
    assert.ok(pages.length >= 4, `docs/ has ${pages.join(", ")}`);
  });

  it("has one options table in the README that names every option serve() takes", () => {
    const readme = readFileSync(join(repositoryRoot(import.meta.url), "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("\n## Options\n"));
    const rows = section.slice(0, section.indexOf("\n## ", 1)).split("\n")
      .map((line) => /^\| `(\w+)/.exec(line)?.[1])
      .filter((name) => name !== undefined);
    // `fetch` and `handler` are the handler itself, named in the paragraph above the table.
    const options = Object.keys(KNOWN).filter((name) => name !== "fetch" && name !== "handler");
    assert.deepEqual([...rows].sort(), options.sort());
  });
});
