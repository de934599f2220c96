/** docs/benchmarks.md shows what docs/bench/*.json hold: its tables are made from them (scripts/docs_bench.ts). */
import { describe, it } from "../_testing.ts";
import { repositoryRoot } from "../_repo.ts";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BLOCKS, readBench, renderBenchmarks } from "../../scripts/docs_bench.ts";

const docs = join(repositoryRoot(import.meta.url), "docs");

describe("docs/benchmarks.md", () => {
  it("holds every table, made from the results as they are now", () => {
    const path = join(docs, "benchmarks.md");
    const page = readFileSync(path, "utf8");
    for (const { name } of BLOCKS) assert.ok(page.includes(`<!-- bench:${name} -->`), name);
    assert.equal(
      page,
      renderBenchmarks(page, readBench(docs)),
      "stale tables: run `deno run -A scripts/docs_bench.ts`",
    );
  });

  it("is made anew when the results change, the prose left as it is", () => {
    const page = "prose before\n<!-- bench:workers -->\nold table\n<!-- /bench:workers -->\nafter";
    const json = {
      date: "2026-12-01T00:00:00Z",
      command: "deno run -A scripts/bench/workers.ts",
      results: [
        {
          runtime: "node",
          pinning: "shared",
          handler: "hello",
          workers: 0,
          requestsPerSecond: 2e4,
        },
        {
          runtime: "node",
          pinning: "shared",
          handler: "hello",
          workers: 2,
          requestsPerSecond: 1e4,
        },
      ],
    };
    const made = renderBenchmarks(page, () => json, ["workers"]);
    assert.ok(made.startsWith("prose before\n<!-- bench:workers -->\n"));
    assert.ok(made.endsWith("<!-- /bench:workers -->\nafter"));
    assert.doesNotMatch(made, /old table/);
    assert.match(made, /\| node +\| shared +\| hello +\| 20,000 +\| 10,000 +\|/);
    assert.match(made, /2026-12-01/);
    assert.throws(() => renderBenchmarks("no markers", () => json, ["workers"]), /bench:workers/);
  });
});
