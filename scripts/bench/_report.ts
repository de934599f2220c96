/**
 * The benchmark's results: their shape, the text table and the SVG chart
 * (written by hand, no dependency).
 *
 * @module
 */

/** The contenders, in display order (the ones run and charted by default). */
export const SERVERS = ["hussar", "native", "srvx"] as const;
/** Contenders run only when asked for (`--server=floor`): in the table, not the chart. */
export const EXTRA_SERVERS = ["floor"] as const;
/** One contender. */
export type ServerName = typeof SERVERS[number] | typeof EXTRA_SERVERS[number];

/** One contender on one case and runtime. */
export interface CaseResult {
  runtime: string;
  case: string;
  server: ServerName;
  /** The native server's name on this runtime (`Deno.serve`, ...). */
  label: string;
  /** Throughput cases: wrk's figures, and bytes/s where the case moves a payload. */
  requestsPerSecond?: number;
  p50Ms?: number;
  p99Ms?: number;
  bytesPerSecond?: number;
  /** Server CPU time (all threads) per request during wrk's run, in µs. */
  cpuUsPerRequest?: number;
  /** h2load's cross-check. */
  h2loadRequestsPerSecond?: number;
  h2loadSucceeded?: number;
  /** Memory case: resident memory before and with the idle connections, in KiB. */
  rssBeforeKiB?: number;
  rssWithKiB?: number;
  connections?: number;
  kibPerConnection?: number;
}

/** hussar against native and srvx on one case and runtime. */
export interface Ratio {
  runtime: string;
  case: string;
  /** The compared figure: `req/s`, `bytes/s` or `KiB/conn` (lower is better). */
  metric: string;
  hussarOverNative: number | null;
  hussarOverSrvx: number | null;
}

/** The figure a case is judged by. */
export function metricOf(result: CaseResult): { name: string; value: number } | null {
  if (result.kibPerConnection !== undefined) {
    return { name: "KiB/conn", value: result.kibPerConnection };
  }
  if (result.bytesPerSecond !== undefined) return { name: "bytes/s", value: result.bytesPerSecond };
  if (result.requestsPerSecond !== undefined) {
    return { name: "req/s", value: result.requestsPerSecond };
  }
  return null;
}

/** The ratios hussar/native and hussar/srvx per case and runtime. */
export function ratios(results: CaseResult[]): Ratio[] {
  const out: Ratio[] = [];
  for (const hussar of results.filter((r) => r.server === "hussar")) {
    const own = metricOf(hussar);
    if (own === null) continue;
    out.push({
      runtime: hussar.runtime,
      case: hussar.case,
      metric: own.name,
      hussarOverNative: ratioTo(results, hussar, "native"),
      hussarOverSrvx: ratioTo(results, hussar, "srvx"),
    });
  }
  return out;
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
    "req/s (wrk)",
    "p50 ms",
    "p99 ms",
    "MiB/s",
    "CPU µs/req",
    "req/s (h2load)",
    "memory",
    "÷ native",
    "hussar/srvx",
  ]];
  for (const r of results) {
    const overNative = r.server === "native" ? null : ratioTo(results, r, "native");
    const overSrvx = r.server === "hussar" ? ratioTo(results, r, "srvx") : null;
    rows.push([
      r.runtime,
      r.case,
      r.server === "native" ? r.label : r.server,
      thousands(r.requestsPerSecond),
      fixed(r.p50Ms, 2),
      // wrk records no latency for most pipelined responses: a 0 there means "not measured".
      r.p99Ms === 0 ? "-" : fixed(r.p99Ms, 2),
      r.bytesPerSecond === undefined ? "-" : fixed(r.bytesPerSecond / 2 ** 20, 0),
      fixed(r.cpuUsPerRequest, r.cpuUsPerRequest !== undefined && r.cpuUsPerRequest > 1000 ? 0 : 1),
      thousands(r.h2loadRequestsPerSecond),
      r.kibPerConnection === undefined
        ? "-"
        : `${fixed(r.kibPerConnection, 1)} KiB/conn (RSS ${
          fixed((r.rssWithKiB ?? 0) / 1024, 0)
        } MiB)`,
      overNative === null ? "" : `${overNative.toFixed(2)}x`,
      overSrvx === null ? "" : `${overSrvx.toFixed(2)}x`,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]): string =>
    `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
  return [
    line(rows[0]),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.slice(1).map(line),
  ].join("\n");
}

const COLORS: Record<typeof SERVERS[number], string> = {
  hussar: "#c0392b",
  native: "#7f8c8d",
  srvx: "#2980b9",
};

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * A grouped bar chart, one panel per runtime, one group per case, each bar
 * a contender's figure relative to the native server (native = 1). For the
 * memory case the figure is KiB per connection, where lower is better.
 */
export function svgChart(results: CaseResult[], title: string): string {
  const runtimes = [...new Set(results.map((r) => r.runtime))];
  const cases = [...new Set(results.map((r) => r.case))];
  const barWidth = 14;
  const groupWidth = barWidth * SERVERS.length + 18;
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
  SERVERS.forEach((server, i) => {
    const x = 10 + i * 150;
    parts.push(
      `<rect x="${x}" y="30" width="12" height="12" fill="${COLORS[server]}"/>`,
      `<text x="${x + 16}" y="40">${server === "native" ? "native server" : server}</text>`,
    );
  });
  parts.push(
    `<text x="${10 + 3 * 150}" y="40" fill="#555">relative to native = 1 ` +
      `(memory: KiB/conn, lower is better)</text>`,
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
      SERVERS.forEach((server, s) => {
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
        `<text x="${groupLeft + (barWidth * SERVERS.length) / 2}" y="${top + plotHeight + 14}" ` +
          `text-anchor="middle" font-size="10">${escapeXml(name)}</text>`,
      );
    });
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
