/**
 * Writes the tables of `docs/benchmarks.md` from the benchmark results in
 * `docs/bench/*.json`: each table stands between `<!-- bench:NAME -->` and
 * `<!-- /bench:NAME -->`, and the prose around it is left as it is.
 * `tests/scripts/docs_bench_test.ts` fails while the page and the results
 * disagree.
 *
 * ```sh
 * deno run -A scripts/docs_bench.ts
 * ```
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CaseResult, missingNotes, ratioTable } from "./bench/_report.ts";
import { judgeTargets, targetTable } from "./bench/_targets.ts";

/** A table the page holds: its name in the markers, and how it is made from the results. */
interface Block {
  name: string;
  /** The JSON file under `docs/bench/` it is made from. */
  source: string;
  render(json: BenchJson): string;
}

/** The common shape of the result files (`scripts/bench/*.ts` write them). */
interface BenchJson {
  date: string;
  command: string;
  results?: unknown[];
  runtimes?: { runtime: string; version?: string; results: unknown[] }[];
}

interface WorkersResult {
  runtime: string;
  pinning: string;
  handler: string;
  workers: number;
  requestsPerSecond: number;
}

/** One transport case: heads back and forth ("small"), or 16 KiB chunks one way ("stream"). */
interface TransportResult {
  runtime: string;
  transport: string;
  pattern: string;
  roundTripsPerSecond?: number;
  cpuUsPerRoundTrip?: number;
  megabytesPerSecond?: number;
  cpuUsPerChunk?: number;
}

function markdown(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]): string =>
    `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
  return [line(rows[0]), line(widths.map((w) => "-".repeat(w)))]
    .concat(rows.slice(1).map(line)).join("\n");
}

/** A table's `|----|----|` rule as `deno fmt` writes it, `| -- | -- |`, so the page stays formatted. */
function fmtRule(table: string): string {
  return table.replace(
    /^\|(?:-+\|)+$/gm,
    (rule) =>
      `|${rule.slice(1, -1).split("|").map((d) => ` ${"-".repeat(d.length - 2)} `).join("|")}|`,
  );
}

const thousands = (n: number): string => Math.round(n).toLocaleString("en-US");

function provenance(json: BenchJson): string {
  const line = `From \`${json.command}\`, ${json.date.slice(0, 10)}.`;
  // As `deno fmt` wraps it past the page's 100 columns: a code span is never broken.
  return line.length <= 100 ? line : `From\n\`${json.command}\`,\n${json.date.slice(0, 10)}.`;
}

/** Worker mode: req/s of each worker count, by runtime, pinning and handler. */
function workersTable(json: BenchJson): string {
  const results = (json.results ?? []) as WorkersResult[];
  const counts = [...new Set(results.map((r) => r.workers))].sort((a, b) => a - b);
  const rows = [["runtime", "pinning", "handler", ...counts.map((n) => `${n} workers (req/s)`)]];
  const keys = [...new Set(results.map((r) => `${r.runtime}\n${r.pinning}\n${r.handler}`))];
  for (const key of keys) {
    const [runtime, pinning, handler] = key.split("\n");
    rows.push([
      runtime,
      pinning,
      handler,
      ...counts.map((n) => {
        const r = results.find((x) =>
          x.runtime === runtime && x.pinning === pinning && x.handler === handler &&
          x.workers === n
        );
        return r === undefined ? "-" : thousands(r.requestsPerSecond);
      }),
    ]);
  }
  return markdown(rows);
}

/** The transport between threads: round trips per second and CPU per round trip. */
function transportTable(json: BenchJson): string {
  const rows = [["runtime", "transport", "pattern", "throughput", "CPU µs each"]];
  for (const { results } of json.runtimes ?? []) {
    for (const r of results as TransportResult[]) {
      const heads = r.roundTripsPerSecond !== undefined;
      rows.push([
        r.runtime,
        r.transport,
        r.pattern,
        heads
          ? `${thousands(r.roundTripsPerSecond!)} round trips/s`
          : `${thousands(r.megabytesPerSecond ?? 0)} MB/s`,
        ((heads ? r.cpuUsPerRoundTrip : r.cpuUsPerChunk) ?? 0).toFixed(1),
      ]);
    }
  }
  return markdown(rows);
}

/** A suite run's table, then the targets of issues 15 and 16 it judged. */
function withTargets(json: BenchJson): string {
  const results = json.results as CaseResult[];
  return `${fmtRule(ratioTable(results))}\n\nThe targets of issues 15 and 16 in this run:\n\n${
    fmtRule(targetTable(judgeTargets(results)))
  }\n\n${provenance(json)}`;
}

/** The tables of docs/benchmarks.md. */
export const BLOCKS: readonly Block[] = [
  {
    name: "http",
    source: "results.json",
    render: (json) => `${fmtRule(ratioTable(json.results as CaseResult[]))}\n\n${provenance(json)}`,
  },
  {
    name: "2026-12-08a",
    source: "2026-12-08a/results.json",
    render: withTargets,
  },
  {
    name: "2026-12-07j",
    source: "2026-12-07j/results.json",
    render: withTargets,
  },
  {
    name: "2026-12-07i",
    source: "2026-12-07i/results.json",
    render: withTargets,
  },
  {
    name: "2026-12-07h",
    source: "2026-12-07h/results.json",
    render: withTargets,
  },
  {
    name: "2026-12-07g",
    source: "2026-12-07g/results.json",
    render: withTargets,
  },
  {
    name: "2026-12-07f",
    source: "2026-12-07f/results.json",
    render: withTargets,
  },
  {
    name: "2026-12-07e",
    source: "2026-12-07e/results.json",
    render: withTargets,
  },
  {
    name: "2026-12-07d",
    source: "2026-12-07d/results.json",
    render: withTargets,
  },
  {
    name: "2026-12-07c",
    source: "2026-12-07c/results.json",
    render: withTargets,
  },
  {
    name: "2026-12-07b",
    source: "2026-12-07b/results.json",
    render: withTargets,
  },
  {
    name: "floor",
    source: "floor/results.json",
    render: (json) => `${fmtRule(ratioTable(json.results as CaseResult[]))}\n\n${provenance(json)}`,
  },
  {
    name: "h2",
    source: "h2/results.json",
    render: (json) =>
      `${fmtRule(ratioTable(json.results as CaseResult[]))}${
        missingNotes(json.results as CaseResult[])
      }\n\n${provenance(json)}`,
  },
  {
    name: "workers",
    source: "workers.json",
    render: (json) => `${workersTable(json)}\n\n${provenance(json)}`,
  },
  {
    name: "worker_transport",
    source: "worker_transport.json",
    render: (json) => `${transportTable(json)}\n\n${provenance(json)}`,
  },
];

/**
 * `page` with each block's table made anew from `read(source)`; throws if a
 * block's markers are missing.
 *
 * @example
 * ```ts
 * import { renderBenchmarks } from "./docs_bench.ts";
 * const page = "<!-- bench:workers -->\nold\n<!-- /bench:workers -->";
 * const json = {
 *   date: "2026-11-25T00:00:00Z",
 *   command: "bench",
 *   results: [{ runtime: "bun", pinning: "shared", handler: "hello", workers: 0, requestsPerSecond: 1000 }],
 * };
 * console.log(renderBenchmarks(page, () => json, ["workers"]).includes("1,000")); // true
 * ```
 */
export function renderBenchmarks(
  page: string,
  read: (source: string) => BenchJson,
  only: readonly string[] = BLOCKS.map((b) => b.name),
): string {
  let out = page;
  for (const block of BLOCKS.filter((b) => only.includes(b.name))) {
    const open = `<!-- bench:${block.name} -->`;
    const close = `<!-- /bench:${block.name} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start === -1 || end < start) throw new Error(`no ${open} ... ${close} in the page`);
    const table = block.render(read(block.source));
    out = `${out.slice(0, start + open.length)}\n\n${table}\n\n${out.slice(end)}`;
  }
  return out;
}

/** The repository's docs/ folder, found from this script. */
export const DOCS: string = join(dirname(dirname(fileURLToPath(import.meta.url))), "docs");

/** Reads a result file of docs/bench/. */
export function readBench(docs: string): (source: string) => BenchJson {
  return (source) => JSON.parse(readFileSync(join(docs, "bench", source), "utf8"));
}

if ((import.meta as { main?: boolean }).main) {
  const path = join(DOCS, "benchmarks.md");
  writeFileSync(path, renderBenchmarks(readFileSync(path, "utf8"), readBench(DOCS)));
  console.log(`wrote ${path}`);
}
