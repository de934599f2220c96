/**
 * The targets of issues 15 and 16 that a run of `http.ts` measures, each
 * judged from the run's medians and printed beside its figure: the ratio of
 * medians, the range of the ratios of single rounds, and the ratio of CPU
 * per request (steadier than req/s on a shared machine).
 *
 * @module
 */
import {
  type CaseResult,
  find,
  markdown,
  metricOf,
  roundRatios,
  type ServerName,
} from "./_report.ts";

/** One target: `server`'s figure on `case`, over `over`'s (or alone), bounded. */
export interface Target {
  runtimes: readonly string[];
  case: string;
  server: ServerName;
  /** The contender divided by; absent: a bound on `server`'s own figure. */
  over?: ServerName;
  /** `heap`: the heap per idle connection (KiB) instead of the case's judged figure. */
  figure?: "heap";
  atLeast?: number;
  atMost?: number;
  /** Where the target is set. */
  source: string;
}

const ALL = ["deno", "bun", "node"] as const;
/** `node` is Node 26, the current LTS, which the issues' Node targets are about. */
const ISSUE15 = "issue 15";

/** Every target the suite can measure. */
export const TARGETS: readonly Target[] = [
  ...["get", "post"].flatMap((name) =>
    [
      { runtimes: ["deno"], case: name, server: "hussar", over: "native", atLeast: 0.6 },
      { runtimes: ["bun"], case: name, server: "hussar", over: "native", atLeast: 0.65 },
      { runtimes: ["node"], case: name, server: "hussar", over: "native", atLeast: 0.85 },
    ] as const
  ),
  { runtimes: ALL, case: "get", server: "core", over: "raw", atLeast: 0.85 },
  { runtimes: ["node"], case: "get", server: "core", over: "native", atLeast: 1.4 },
  { runtimes: ["node"], case: "pipeline", server: "core", over: "native", atLeast: 2 },
  ...["get", "post", "pipeline", "churn"].flatMap((name) =>
    [
      { runtimes: ["node"], case: name, server: "hussar", over: "srvx", atLeast: 1 },
      { runtimes: ["node"], case: name, server: "hussar", over: "hono", atLeast: 1 },
    ] as const
  ),
  { runtimes: ["deno", "node"], case: "memory", server: "hussar", over: "native", atMost: 1 },
  { runtimes: ["bun"], case: "memory", server: "hussar", figure: "heap", atMost: 3 },
  { runtimes: ALL, case: "footprint", server: "hussar", over: "native", atMost: 1.5 },
  { runtimes: ALL, case: "churn", server: "hussar", over: "native", atLeast: 0.8 },
  { runtimes: ALL, case: "stream", server: "hussar", over: "native", atLeast: 0.8 },
  { runtimes: ALL, case: "upload", server: "hussar", over: "native", atLeast: 0.8 },
].map((target) => ({ ...target, source: ISSUE15 } as Target)).concat([
  { runtimes: ["deno", "bun"], case: "h2", server: "hussar", over: "native", atLeast: 0.6 },
  { runtimes: ["node"], case: "h2", server: "hussar", over: "native", atLeast: 1 },
].map((target) => ({ ...target, source: "issue 16" } as Target)));

/** A target as measured in one run. */
export interface TargetResult {
  runtime: string;
  case: string;
  /** What is compared, as printed: `hussar ÷ Deno.serve`, `hussar heap KiB/conn`. */
  what: string;
  /** The bound, as printed: `≥ 0.60×`, `≤ 3 KiB`. */
  bound: string;
  /** The run's figure (a ratio of medians, or `server`'s median); null when not measured. */
  value: number | null;
  /** The ratio in each round (both contenders measured in turn), when there were rounds. */
  rounds: number[];
  /** The other contender's CPU per request ÷ this one's: the ratio by CPU time. */
  byCpu?: number;
  met: boolean | null;
}

/**
 * Every target of the runtimes, cases and contenders `results` have (those
 * whose cell failed as not measured).
 */
export function judgeTargets(results: readonly CaseResult[]): TargetResult[] {
  const out: TargetResult[] = [];
  for (const runtime of new Set(results.map((r) => r.runtime))) {
    const has = (predicate: (r: CaseResult) => boolean): boolean =>
      results.some((r) => r.runtime === runtime && predicate(r));
    for (const target of TARGETS) {
      if (
        target.runtimes.includes(runtime) && has((r) => r.case === target.case) &&
        has((r) => r.server === target.server) &&
        (target.over === undefined || has((r) => r.server === target.over))
      ) out.push(judge(results, runtime, target));
    }
  }
  return out;
}

function nameOf(result: CaseResult | undefined, server: ServerName): string {
  return server === "native" && result !== undefined ? result.label : server;
}

function judge(results: readonly CaseResult[], runtime: string, target: Target): TargetResult {
  const own = find(results, runtime, target.case, target.server);
  const other = target.over === undefined
    ? undefined
    : find(results, runtime, target.case, target.over);
  const ratio = target.over !== undefined;
  const unit = ratio ? "×" : target.figure === "heap" ? " KiB" : "";
  const bound = target.atLeast !== undefined
    ? `≥ ${target.atLeast.toFixed(2)}${unit}`
    : `≤ ${target.atMost!.toFixed(2)}${unit}`;
  const what = ratio
    ? `${target.server} ÷ ${nameOf(other ?? own, target.over!)}`
    : `${target.server} ${target.figure === "heap" ? "heap KiB/conn" : "figure"}`;
  const base = { runtime, case: target.case, what, bound, rounds: [] as number[] };
  const figure = (r: CaseResult | undefined): number | null =>
    r === undefined
      ? null
      : target.figure === "heap"
      ? r.heapKibPerConnection ?? null
      : metricOf(r)?.value ?? null;
  const mine = figure(own);
  const theirs = ratio ? figure(other) : 1;
  if (mine === null || theirs === null || theirs === 0) return { ...base, value: null, met: null };
  const value = mine / theirs;
  const met = (target.atLeast === undefined || value >= target.atLeast) &&
    (target.atMost === undefined || value <= target.atMost);
  // By CPU only where more is better: throughput, where CPU per request is the same work.
  const cpu = target.atLeast !== undefined && own!.cpuUsPerRequest !== undefined &&
      other?.cpuUsPerRequest !== undefined
    ? other.cpuUsPerRequest / own!.cpuUsPerRequest
    : undefined;
  return {
    ...base,
    value,
    rounds: other === undefined ? [] : roundRatios(other, own!),
    ...(cpu === undefined ? {} : { byCpu: cpu }),
    met,
  };
}

/** The targets as a Markdown table: each figure beside its bound, and whether it is met. */
export function targetTable(judged: readonly TargetResult[]): string {
  const rows = [["runtime", "case", "compared", "target", "this run", "rounds", "by CPU", "met"]];
  for (const t of judged) {
    rows.push([
      t.runtime,
      t.case,
      t.what,
      t.bound,
      t.value === null
        ? "not measured"
        : `${t.value.toFixed(2)}${t.bound.endsWith("×") ? "×" : ""}`,
      t.rounds.length > 1
        ? `${Math.min(...t.rounds).toFixed(2)}-${Math.max(...t.rounds).toFixed(2)}`
        : "",
      t.byCpu === undefined ? "" : t.byCpu.toFixed(2),
      t.met === null ? "-" : t.met ? "yes" : "no",
    ]);
  }
  return markdown(rows);
}
