/**
 * What a newcomer meets first stays small (issue 17): the root entry point
 * exports what a `serve()` user needs and nothing of the layers under it,
 * each entry point has one name per concept, and the README stays short,
 * with the rest in docs/.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as root from "../../mod.ts";
import * as scheduler from "../../scheduler/mod.ts";
import * as core from "../../core/mod.ts";
import * as httputil from "../../httputil/mod.ts";
import * as sources from "../../sources/mod.ts";
import * as serve from "../../serve/mod.ts";
import * as helpers from "../../helpers/mod.ts";
import * as websocket from "../../websocket/mod.ts";
import * as workers from "../../workers/mod.ts";

const ENTRIES: Record<string, Record<string, unknown>> = {
  ".": root,
  "./scheduler": scheduler,
  "./core": core,
  "./httputil": httputil,
  "./sources": sources,
  "./serve": serve,
  "./helpers": helpers,
  "./websocket": websocket,
  "./workers": workers,
};

function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "deno.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("no deno.json above the test");
    dir = parent;
  }
  return dir;
}

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

describe("the documentation", () => {
  it("has a README of at most 16 KB and the rest in docs/, four pages or more", () => {
    const repo = repositoryRoot();
    const readme = statSync(join(repo, "README.md")).size;
    assert.ok(readme <= 16 * 1024, `README.md is ${readme} bytes`);
    const pages = readdirSync(join(repo, "docs")).filter((name) => name.endsWith(".md"));
    assert.ok(pages.length >= 4, `docs/ has ${pages.join(", ")}`);
  });
});
