/**
 * The benchmark's results: their shape, the text table and the SVG chart
 * (written by hand, no dependency).
 *
 * @module
 */
import { spread } from "./_stats.ts";

/**
 * The contenders, in display order: hussar's `serve()` and core API, the
 * native server, the raw socket loop (a ceiling), the floor of fetch-style
 * servers, srvx and `@hono/node-server` (Node).
 */
export const SERVERS = ["hussar", "core", "native", "raw", "floor", "srvx", "hono"] as const;
/** The contenders drawn in the chart (the table has them all). */
export const CHARTED = ["hussar", "core", "native", "srvx", "hono"] as const;
/** One contender. */
export type ServerName = typeof SERVERS[number];

/** One contender on one case and runtime. */
export interface CaseResult {
  runtime: string;
  case: string;
  server: ServerName;
  /** The native server's name on this runtime (`Deno.serve`, ...). */
  label: string;
  /** Why the contender could not run the case (no figures then), when it could not. */
  missing?: string;
  /** Throughput cases: wrk's figures, and bytes/s where the case moves a payload. */
  requestsPerSecond?: number;
  p50Ms?: number;
  p99Ms?: number;
  bytesPerSecond?: number;
  /** Server CPU time (all threads) per request (churn: per connection), in µs. */
  cpuUsPerRequest?: number;
  /** Server minor page faults (all threads) per request (churn: per connection). */
  faultsPerRequest?: number;
  /** Bytes the server's JavaScript heap allocated per request (churn: per connection). */
  bytesAllocatedPerRequest?: number;
  /** Server RSS right after the measured load, in KiB (the footprint under load). */
  rssAfterKiB?: number;
  /** Churn case: connections (one request each) per second, h2load's figure. */
  connectionsPerSecond?: number;
  /** h2load's cross-check. */
  h2loadRequestsPerSecond?: number;
  h2loadSucceeded?: number;
  /** Memory case: resident memory before and with the idle connections, in KiB. */
  rssBeforeKiB?: number;
  rssWithKiB?: number;
  connections?: number;
  kibPerConnection?: number;
  /** Memory case: JavaScript heap in use per connection, after full collections. */
  heapKibPerConnection?: number;
  /** Footprint case: server RSS right after `wrk -c8` on a fresh process, in KiB. */
  footprintKiB?: number;
  /** Footprint case: heap in use after that load, after a full collection, in KiB. */
  heapAfterLoadKiB?: number;
  /** The load generator's CPU time ÷ wall time (near 1: it, not the server, was the limit). */
  clientCpu?: number;
  /** Churn case: the server closed after `Connection: close` without saying so in its answer. */
  closeUnannounced?: boolean;
  /** Measured runs the figures are the median of (in rounds, contenders in turn). */
  runs?: number;
  /** The case's judged figure ({@linkcode metricOf}) of each measured run, in the order run. */
  samples?: number[];
}

/** Every contender against the native server on one case and runtime. */
export interface Ratio {
  runtime: string;
  case: string;
  /**
   * The compared figure: `req/s`, `bytes/s`, `conn/s`, `KiB/conn` (RSS per
   * idle connection) or `MiB RSS` (after load); lower is better for the last two.
   */
  metric: string;
  /** The native server's figure. */
  native: number;
  /** Each other contender's figure ÷ the native server's. */
  overNative: Partial<Record<ServerName, number>>;
}

/** The figure a case is judged by. */
export function metricOf(result: CaseResult): { name: string; value: number } | null {
  if (result.missing !== undefined) return null;
  if (result.footprintKiB !== undefined) {
    return { name: "MiB RSS", value: result.footprintKiB / 1024 };
  }
  if (result.kibPerConnection !== undefined) {
    return { name: "KiB/conn", value: result.kibPerConnection };
  }
  if (result.bytesPerSecond !== undefined) return { name: "bytes/s", value: result.bytesPerSecond };
  if (result.connectionsPerSecond !== undefined) {
    return { name: "conn/s", value: result.connectionsPerSecond };
  }
  if (result.requestsPerSecond !== undefined) {
    return { name: "req/s", value: result.requestsPerSecond };
  }
  return null;
}

/** Every contender's figure ÷ the native server's, per case and runtime. */
export function ratios(results: CaseResult[]): Ratio[] {
  const out: Ratio[] = [];
  for (const native of results.filter((r) => r.server === "native")) {
    const base = metricOf(native);
    if (base === null) continue;
    const overNative: Partial<Record<ServerName, number>> = {};
    for (const r of results) {
      if (r.runtime !== native.runtime || r.case !== native.case || r.server === "native") continue;
      const ratio = ratioTo(results, r, "native");
      if (ratio !== null) overNative[r.server] = ratio;
    }
    out.push({
      runtime: native.runtime,
      case: native.case,
      metric: base.name,
      native: base.value,
      overNative,
    });
  }
  return out;
}

/**
 * The ratios as a Markdown table: one row per runtime and case, the native
 * server's own figure, then each contender ÷ it.
 */
export function ratioTable(results: CaseResult[]): string {
  const shown = SERVERS.filter((s) => s !== "native" && results.some((r) => r.server === s));
  const rows: string[][] = [["runtime", "case", "native", ...shown.map((s) => `${s} ÷ native`)]];
  for (const ratio of ratios(results)) {
    const value = ratio.metric === "bytes/s"
      ? `${fixed(ratio.native / 2 ** 20, 0)} MiB/s`
      : ratio.metric === "KiB/conn" || ratio.metric === "MiB RSS"
      ? `${fixed(ratio.native, 1)} ${ratio.metric}`
      : `${thousands(ratio.native)} ${ratio.metric}`;
    const native = find(results, ratio.runtime, ratio.case, "native")!;
    const samples = native.samples ?? [];
    rows.push([
      ratio.runtime,
      ratio.case,
      samples.length > 1 ? `${value} ±${(spread(samples) * 100).toFixed(0)}%` : value,
      ...shown.map((s) => {
        const r = ratio.overNative[s];
        if (r === undefined) {
          return isMissing(results, ratio.runtime, ratio.case, s) ? "missing" : "";
        }
        const range = roundRatios(native, find(results, ratio.runtime, ratio.case, s)!);
        return range.length > 1
          ? `${r.toFixed(2)}× (${Math.min(...range).toFixed(2)}-${Math.max(...range).toFixed(2)})`
          : `${r.toFixed(2)}×`;
      }),
    ]);
  }
  return markdown(rows);
}

/** The result of `server` on one case and runtime. */
export function find(
  results: readonly CaseResult[],
  runtime: string,
  name: string,
  server: string,
): CaseResult | undefined {
  return results.find((r) => r.runtime === runtime && r.case === name && r.server === server);
}

/**
 * `result`'s figure ÷ `other`'s in each round both ran ([] unless both have
 * one sample per round): how far the ratio moved between rounds.
 */
export function roundRatios(other: CaseResult, result: CaseResult): number[] {
  const a = result.samples ?? [];
  const b = other.samples ?? [];
  return a.length !== b.length ? [] : a.map((value, i) => value / b[i]);
}

function isMissing(results: CaseResult[], runtime: string, name: string, server: string): boolean {
  return results.some((r) =>
    r.runtime === runtime && r.case === name && r.server === server && r.missing !== undefined
  );
}

/** Why each row marked missing is missing, as a list under the tables ("" when none is). */
export function missingNotes(results: CaseResult[]): string {
  const notes = results.filter((r) => r.missing !== undefined)
    .map((r) => `- ${r.runtime} ${r.case} ${r.server}: ${r.missing}`);
  return notes.length === 0 ? "" : `\n\nMissing:\n\n${notes.join("\n")}`;
}

/** `result`'s figure over `server`'s on the same case and runtime; null if either is missing. */
function ratioTo(results: CaseResult[], result: CaseResult, server: ServerName): number | null {
  const other = results.find((x) =>
    x.runtime === result.runtime && x.case === result.case && x.server === server
  );
  const own = metricOf(result);
  const theirs = other === undefined ? null : metricOf(other);
  return own === null || theirs === null || theirs.value === 0 ? null : own.value / theirs.value;
}

function fixed(value: number | undefined, digits: number): string {
  return value === undefined ? "-" : value.toFixed(digits);
}

function thousands(value: number | undefined): string {
  return value === undefined ? "-" : Math.round(value).toLocaleString("en-US");
}

/** The results as a Markdown table (readable as plain text too). */
export function table(results: CaseResult[]): string {
  const rows: string[][] = [[
    "runtime",
    "case",
    "server",
    "req/s",
    "p50 ms",
    "p99 ms",
    "MiB/s",
    "CPU µs/req",
    "faults/req",
    "B alloc/req",
    "RSS after MiB",
    "req/s (h2load)",
    "client CPU",
    "memory",
    "runs",
    "÷ native",
  ]];
  for (const r of results) {
    const overNative = r.server === "native" ? null : ratioTo(results, r, "native");
    rows.push([
      r.runtime,
      r.case,
      r.server === "native" ? r.label : r.server,
      r.connectionsPerSecond !== undefined
        ? `${thousands(r.connectionsPerSecond)} conn/s`
        : thousands(r.requestsPerSecond),
      fixed(r.p50Ms, 2),
      // wrk records no latency for most pipelined responses: a 0 there means "not measured".
      r.p99Ms === 0 ? "-" : fixed(r.p99Ms, 2),
      r.bytesPerSecond === undefined ? "-" : fixed(r.bytesPerSecond / 2 ** 20, 0),
      fixed(r.cpuUsPerRequest, r.cpuUsPerRequest !== undefined && r.cpuUsPerRequest > 1000 ? 0 : 1),
      fixed(r.faultsPerRequest, 2),
      thousands(r.bytesAllocatedPerRequest),
      r.rssAfterKiB === undefined ? "-" : fixed(r.rssAfterKiB / 1024, 0),
      thousands(r.h2loadRequestsPerSecond),
      r.clientCpu === undefined ? "-" : `${(r.clientCpu * 100).toFixed(0)}%`,
      r.footprintKiB !== undefined
        ? `${fixed(r.footprintKiB / 1024, 1)} MiB RSS after load, heap ${
          fixed((r.heapAfterLoadKiB ?? 0) / 1024, 1)
        } MiB`
        : r.kibPerConnection === undefined
        ? "-"
        : `${fixed(r.kibPerConnection, 1)} KiB/conn RSS, ${
          fixed(r.heapKibPerConnection, 2)
        } heap (RSS ${fixed((r.rssWithKiB ?? 0) / 1024, 0)} MiB)`,
      r.runs === undefined ? "1" : String(r.runs),
      r.missing !== undefined
        ? `missing: ${r.missing}`
        : overNative === null
        ? ""
        : `${overNative.toFixed(2)}x`,
    ]);
  }
  return markdown(rows);
}

/** Rows (the first the header) as a Markdown table, readable as plain text too. */
export function markdown(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]): string =>
    `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
  return [
    line(rows[0]),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.slice(1).map(line),
  ].join("\n");
}

const COLORS: Record<typeof CHARTED[number], string> = {
  hussar: "#c0392b",
  core: "#e67e22",
  native: "#7f8c8d",
  srvx: "#2980b9",
  hono: "#27ae60",
};

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * A grouped bar chart, one panel per runtime, one group per case, each bar
 * a contender's figure relative to the native server (native = 1). For the
 * memory case the figure is KiB per connection and for the footprint case
 * MiB of RSS after load, where lower is better.
 */
export function svgChart(results: CaseResult[], title: string): string {
  const runtimes = [...new Set(results.map((r) => r.runtime))];
  const cases = [...new Set(results.map((r) => r.case))];
  const barWidth = 14;
  const groupWidth = barWidth * CHARTED.length + 18;
  const panelWidth = Math.max(cases.length * groupWidth + 60, 300);
  const top = 60;
  const plotHeight = 150;
  const width = panelWidth * runtimes.length + 20;
  const height = top + plotHeight + 60;
  const relative = (r: CaseResult): number | null => {
    const native = results.find((x) =>
      x.runtime === r.runtime && x.case === r.case && x.server === "native"
    );
    const own = metricOf(r);
    const base = native === undefined ? null : metricOf(native);
    return own === null || base === null || base.value === 0 ? null : own.value / base.value;
  };
  const values = results.map(relative).filter((v): v is number => v !== null);
  // The axis stops at 3x: a larger ratio is drawn clipped, with its value written on it.
  const maxValue = Math.min(3, Math.max(1.5, Math.ceil(Math.max(...values, 1) * 2) / 2));
  const y = (value: number): number =>
    Math.round((top + plotHeight - (value / maxValue) * plotHeight) * 10) / 10;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  CHARTED.forEach((server, i) => {
    const x = 10 + i * 110;
    const name = server === "native"
      ? "native server"
      : server === "core"
      ? "hussar core API"
      : server;
    parts.push(
      `<rect x="${x}" y="30" width="12" height="12" fill="${COLORS[server]}"/>`,
      `<text x="${x + 16}" y="40">${name}</text>`,
    );
  });
  parts.push(
    `<text x="${10 + CHARTED.length * 110}" y="40" fill="#555">relative to native = 1 ` +
      `(memory: KiB/conn, footprint: MiB RSS; lower is better)</text>`,
  );
  runtimes.forEach((runtime, p) => {
    const left = 10 + p * panelWidth + 40;
    const right = left + panelWidth - 60;
    parts.push(
      `<text x="${(left + right) / 2}" y="${top + plotHeight + 45}" text-anchor="middle" ` +
        `font-size="13" font-weight="bold">${escapeXml(runtime)}</text>`,
    );
    for (let tick = 0; tick <= maxValue + 1e-9; tick += 0.5) {
      parts.push(
        `<line x1="${left}" x2="${right}" y1="${y(tick)}" y2="${y(tick)}" ` +
          `stroke="${tick === 1 ? "#333" : "#ddd"}" stroke-width="${tick === 1 ? 1 : 0.5}"/>`,
        `<text x="${left - 4}" y="${y(tick) + 4}" text-anchor="end" fill="#555">${
          tick.toFixed(1)
        }</text>`,
      );
    }
    cases.forEach((name, c) => {
      const groupLeft = left + 8 + c * groupWidth;
      CHARTED.forEach((server, s) => {
        const result = results.find((r) =>
          r.runtime === runtime && r.case === name && r.server === server
        );
        const value = result === undefined ? null : relative(result);
        if (value === null) return;
        const x = groupLeft + s * barWidth;
        const shown = Math.min(value, maxValue);
        parts.push(
          `<rect x="${x}" y="${y(shown)}" width="${barWidth - 2}" ` +
            `height="${Math.round((top + plotHeight - y(shown)) * 10) / 10}" fill="${
              COLORS[server]
            }">` +
            `<title>${
              escapeXml(`${runtime} ${name} ${server}: ${value.toFixed(2)}x`)
            }</title></rect>`,
        );
        if (server === "hussar" || value > maxValue) {
          parts.push(
            `<text x="${x + barWidth / 2}" y="${y(shown) - 3}" text-anchor="middle" ` +
              `font-size="9">${value.toFixed(2)}</text>`,
          );
        }
      });
      parts.push(
        `<text x="${groupLeft + (barWidth * CHARTED.length) / 2}" y="${top + plotHeight + 14}" ` +
          `text-anchor="middle" font-size="10">${escapeXml(name)}</text>`,
      );
    });
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
