/**
 * Several measured runs of one contender on one case, made one figure: the
 * suite measures its contenders in turn (A B C A B C ...), so a spell of
 * load on the shared machine lands on every contender rather than on one,
 * and each figure of a cell is the median of its runs.
 *
 * @module
 */
import { type CaseResult, metricOf } from "./_report.ts";
import { median } from "./_stats.ts";

/** One measured run's figures (a case result without its names). */
export type RunFigures = Omit<CaseResult, "runtime" | "case" | "server" | "label">;

/**
 * The runs of one cell as one result: each numeric figure the median of the
 * runs that have it, other fields from the first run, `extra` (figures
 * measured once, such as the h2load cross-check) on top, and `samples`, the
 * case's judged figure of each run in the order run.
 */
export function combineRuns(
  base: CaseResult,
  runs: readonly RunFigures[],
  extra: Partial<RunFigures> = {},
): CaseResult {
  const out: Record<string, unknown> = { ...base, ...runs[0] };
  for (const key of new Set(runs.flatMap((r) => Object.keys(r)))) {
    const values = runs.map((r) => (r as Record<string, unknown>)[key])
      .filter((v): v is number => typeof v === "number");
    if (values.length > 0) out[key] = median(values);
  }
  Object.assign(out, extra);
  const result = out as unknown as CaseResult;
  result.runs = runs.length;
  result.samples = runs.map((r) => metricOf({ ...base, ...r })?.value ?? NaN);
  return result;
}
