/**
 * The benchmark suite's figures (scripts/bench/http.ts): runs in rounds made
 * one figure by their medians, ratios of medians with the rounds' range, the
 * issues' targets judged from them, and what the load generators report.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { combineRuns } from "../../scripts/bench/_rounds.ts";
import { median, spread } from "../../scripts/bench/_stats.ts";
import { type CaseResult, ratioTable, roundRatios } from "../../scripts/bench/_report.ts";
import { judgeTargets, targetTable } from "../../scripts/bench/_targets.ts";
import { childCpuSeconds, parseWrk, runTimed } from "../../scripts/bench/_load.ts";

const cell = (server: CaseResult["server"], samples: number[], more: Partial<CaseResult> = {}) =>
  combineRuns(
    { runtime: "deno", case: "get", server, label: "Deno.serve" },
    samples.map((requestsPerSecond, i) => ({ requestsPerSecond, cpuUsPerRequest: 10 + i })),
    more,
  );

describe("bench rounds", () => {
  it("takes the median of odd and even counts, and the spread around it", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
    assert.equal(spread([90, 100, 110]), 0.1);
  });

  it("makes a cell of its runs: each figure's median, the samples in order, extras on top", () => {
    const result = cell("hussar", [50, 10, 40], { h2loadSucceeded: 7 });
    assert.equal(result.requestsPerSecond, 40);
    assert.equal(result.cpuUsPerRequest, 11);
    assert.deepEqual(result.samples, [50, 10, 40]);
    assert.equal(result.runs, 3);
    assert.equal(result.h2loadSucceeded, 7);
    assert.equal(result.server, "hussar");
  });

  it("gives ratios of medians, with the native spread and the single rounds' range", () => {
    const native = cell("native", [100, 80, 120]);
    const hussar = cell("hussar", [60, 40, 84]);
    assert.deepEqual(roundRatios(native, hussar), [0.6, 0.5, 0.7]);
    const table = ratioTable([native, hussar]);
    assert.match(table, /\| deno +\| get +\| 100 req\/s ±20% \| 0\.60× \(0\.50-0\.70\) \|/);
  });

  it("shows a cell measured once as before, with no range", () => {
    const native: CaseResult = {
      runtime: "bun",
      case: "get",
      server: "native",
      label: "Bun.serve",
      requestsPerSecond: 1000,
    };
    const table = ratioTable([native, { ...native, server: "hussar", requestsPerSecond: 500 }]);
    assert.match(table, /\| bun +\| get +\| 1,000 req\/s \| 0\.50× +\|/);
  });
});

describe("bench targets", () => {
  it("judges each target of the runtime from the medians, by CPU beside", () => {
    const judged = judgeTargets([cell("native", [100, 100]), cell("hussar", [70, 50])]);
    assert.deepEqual(judged.map((t) => [t.what, t.bound, t.value, t.met]), [
      ["hussar ÷ Deno.serve", "≥ 0.60×", 0.6, true],
    ]);
    assert.deepEqual(judged[0].rounds, [0.7, 0.5]);
    assert.equal(judged[0].byCpu, 1);
    assert.match(
      targetTable(judged),
      /\| deno +\| get +\| hussar ÷ Deno.serve \| ≥ 0\.60× \| 0\.60× +\| 0\.50-0\.70 \| 1\.00 +\| yes \|/,
    );
  });

  it("marks a target not met, or not measured when a cell of it failed", () => {
    const node = (server: CaseResult["server"], rps?: number): CaseResult => ({
      runtime: "node",
      case: "get",
      server,
      label: "node:http",
      ...(rps === undefined ? { missing: "failed" } : { requestsPerSecond: rps }),
    });
    const judged = judgeTargets([node("native", 100), node("hussar", 80), node("core")]);
    const byWhat = Object.fromEntries(judged.map((t) => [t.what, t]));
    assert.equal(byWhat["hussar ÷ node:http"].met, false);
    assert.equal(byWhat["core ÷ node:http"].value, null);
    assert.equal(byWhat["core ÷ node:http"].met, null);
    // Contenders not in the run at all (raw, srvx, hono) have no row.
    assert.ok(judged.every((t) => !/raw|srvx|hono/.test(t.what)), judged.map((t) => t.what).join());
  });

  it("bounds memory and footprint from above: heap KiB on Bun, RSS ratios elsewhere", () => {
    const memory = (server: CaseResult["server"], heap: number): CaseResult => ({
      runtime: "bun",
      case: "memory",
      server,
      label: "Bun.serve",
      kibPerConnection: 10,
      heapKibPerConnection: heap,
    });
    const footprint = (server: CaseResult["server"], kib: number): CaseResult => ({
      runtime: "bun",
      case: "footprint",
      server,
      label: "Bun.serve",
      footprintKiB: kib,
    });
    const judged = judgeTargets([
      memory("native", 0),
      memory("hussar", 3.5),
      footprint("native", 40_000),
      footprint("hussar", 56_000),
    ]);
    assert.deepEqual(judged.map((t) => [t.case, t.bound, t.value, t.met]), [
      ["memory", "≤ 3.00 KiB", 3.5, false],
      ["footprint", "≤ 1.50×", 1.4, true],
    ]);
  });
});

describe("bench load generators", () => {
  it("reads wrk's socket errors and non-2xx answers", () => {
    const report = [
      "  11117 requests in 2.05s, 1.37MB read",
      "  Latency Distribution",
      "     50%    1.20ms",
      "     99%   10.00ms",
      "  Socket errors: connect 0, read 11117, write 3, timeout 0",
      "  Non-2xx or 3xx responses: 2",
      "Requests/sec:   5427.22",
    ].join("\n");
    const w = parseWrk(report);
    assert.deepEqual(w.socketErrors, { connect: 0, read: 11117, write: 3, timeout: 0 });
    assert.equal(w.non2xx, 2);
    assert.equal(w.requests, 11117);
    assert.equal(w.errors.length, 2);
  });

  it("reads the children's CPU time from the shell's times", () => {
    assert.equal(childCpuSeconds("0m0.010000s 0m0.000000s\n0m1.250000s 0m0.500000s\n"), 1.75);
    assert.equal(childCpuSeconds("0m0.00s 0m0.00s\n1m2.00s 0m0.00s"), 62);
  });

  it("says how busy a generator was, and keeps its output and its failure", async () => {
    const busy = await runTimed(
      ["sh", "-c", "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; echo done"],
      60_000,
    );
    assert.equal(busy.out, "done\n");
    assert.ok(busy.clientCpu > 0, `clientCpu ${busy.clientCpu}`);
    await assert.rejects(runTimed(["sh", "-c", "echo no >&2; exit 3"], 10_000), /failed \(3\)/);
  });
});
