/**
 * The load generators: `wrk` (the headline: req/s and latency percentiles)
 * and `h2load --h1` (exact request and status counts, the cross-check),
 * each pinned with `taskset`, and the parsing of their reports. Each run
 * also says how busy the generator itself was (`clientCpu`, its CPU time
 * over the run's wall time, from the shell's `times`): near 1, the one core
 * it has was the bottleneck, not the server.
 *
 * @module
 */
import { spawn } from "node:child_process";

/** What `wrk --latency` reports. */
export interface WrkResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors (connect, read, write, timeout) and non-2xx/3xx answers. */
  errors: string[];
  /** wrk's socket error counts (0 when it printed none). */
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  /** Non-2xx/3xx answers. */
  non2xx: number;
  /** The generator's CPU time ÷ the run's wall time (1: its core was busy throughout). */
  clientCpu?: number;
}

/** What `h2load` reports. */
export interface H2loadResult {
  requestsPerSecond: number;
  done: number;
  succeeded: number;
  failed: number;
  errored: number;
  timeout: number;
  status2xx: number;
  statusOther: number;
  /** The generator's CPU time ÷ the run's wall time (1: its core was busy throughout). */
  clientCpu?: number;
}

/** A load generator's invocation. */
export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  /** The core(s) to pin the load generator to (`taskset -c`). */
  cpus: string;
}

/** Runs a command to completion; rejects when it exits non-zero. */
export function run(command: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (out += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (err += text));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${command.join(" ")} failed (${signal ?? code}): ${err || out}`));
    });
  });
}

/**
 * Runs a load generator to completion as {@linkcode run} does, and how busy
 * it was: its CPU time (user + system, from the shell's `times`, which
 * counts the children it waited for) ÷ the wall time of the call.
 */
export async function runTimed(
  command: string[],
  timeoutMs: number,
): Promise<{ out: string; clientCpu: number }> {
  const started = performance.now();
  const out = await run(
    ["sh", "-c", '"$@"; s=$?; echo "#times"; times; exit $s', "sh", ...command],
    timeoutMs,
  );
  const wall = (performance.now() - started) / 1000;
  const at = out.lastIndexOf("#times\n");
  return { out: out.slice(0, at), clientCpu: childCpuSeconds(out.slice(at + 7)) / wall };
}

/** The children's user + system seconds from `times` (its second line: `0m1.5s 0m0.2s`). */
export function childCpuSeconds(times: string): number {
  const line = times.trim().split("\n")[1] ?? "";
  let total = 0;
  for (const [, m, s] of line.matchAll(/(\d+)m([\d.]+)s/g)) total += Number(m) * 60 + Number(s);
  return total;
}

/** `wrk` for `seconds`, with an optional Lua script and extra request header lines. */
export async function wrk(
  options: LoadOptions,
  script?: string,
  headers: readonly string[] = [],
): Promise<WrkResult> {
  const command = [
    "taskset",
    "-c",
    options.cpus,
    "wrk",
    "-t1",
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "--timeout",
    "5s",
    "--latency",
  ];
  if (script !== undefined) command.push("-s", script);
  for (const header of headers) command.push("-H", header);
  command.push(options.url);
  const { out, clientCpu } = await runTimed(command, (options.seconds + 30) * 1000);
  return { ...parseWrk(out), clientCpu };
}

/** Parses `wrk --latency` output. */
export function parseWrk(text: string): WrkResult {
  const requests = /(\d+) requests in ([\d.]+)(us|ms|s|m),/.exec(text);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  if (requests === null || rps === null || p50 === null || p99 === null) {
    throw new Error(`unexpected wrk output:\n${text}`);
  }
  const errors: string[] = [];
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  if (socket !== null) errors.push(`socket errors: ${socket[0].slice(15)}`);
  const [connect, read, write, timeout] = socket === null
    ? [0, 0, 0, 0]
    : socket.slice(1).map(Number);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  if (non2xx !== null) errors.push(`${non2xx[1]} non-2xx/3xx responses`);
  return {
    socketErrors: { connect, read, write, timeout },
    non2xx: non2xx === null ? 0 : Number(non2xx[1]),
    requests: Number(requests[1]),
    seconds: toMs(requests[2], requests[3]) / 1000,
    requestsPerSecond: Number(rps[1]),
    p50Ms: toMs(p50[1], p50[2]),
    p99Ms: toMs(p99[1], p99[2]),
    errors,
  };
}

function toMs(value: string, unit: string): number {
  const factor = unit === "us" ? 0.001 : unit === "ms" ? 1 : unit === "s" ? 1000 : 60_000;
  return Number(value) * factor;
}

/**
 * `h2load --h1` for `seconds`, or for `requests` in all (then `seconds` is
 * only the time limit); `pipeline` requests in flight per connection.
 */
export async function h2load(
  options: LoadOptions,
  extra: { pipeline?: number; bodyFile?: string; headers?: string[]; requests?: number } = {},
): Promise<H2loadResult> {
  const command = [
    "taskset",
    "-c",
    options.cpus,
    "h2load",
    "--h1",
    "-t1",
    `-c${options.connections}`,
    `-m${extra.pipeline ?? 1}`,
    extra.requests === undefined ? `-D${options.seconds}` : `-n${extra.requests}`,
  ];
  if (extra.bodyFile !== undefined) command.push("-d", extra.bodyFile);
  for (const header of extra.headers ?? []) command.push("-H", header);
  command.push(options.url);
  const { out, clientCpu } = await runTimed(command, (options.seconds + 30) * 1000);
  return { ...parseH2load(out), clientCpu };
}

/** Parses h2load's summary. */
export function parseH2load(text: string): H2loadResult {
  const finished = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(text);
  const requests =
    /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/
      .exec(text);
  const status = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(text);
  if (finished === null || requests === null || status === null) {
    throw new Error(`unexpected h2load output:\n${text}`);
  }
  return {
    requestsPerSecond: Number(finished[1]),
    done: Number(requests[1]),
    succeeded: Number(requests[2]),
    failed: Number(requests[3]),
    errored: Number(requests[4]),
    timeout: Number(requests[5]),
    status2xx: Number(status[1]),
    statusOther: Number(status[2]) + Number(status[3]) + Number(status[4]),
  };
}

/** Why an h2load run does not count (errors or non-2xx answers), or null. */
export function h2loadProblem(result: H2loadResult): string | null {
  const problems: string[] = [];
  if (result.failed > 0) problems.push(`${result.failed} failed`);
  if (result.errored > 0) problems.push(`${result.errored} errored`);
  if (result.timeout > 0) problems.push(`${result.timeout} timed out`);
  if (result.statusOther > 0) problems.push(`${result.statusOther} non-2xx`);
  if (result.succeeded === 0) problems.push("no request succeeded");
  return problems.length === 0 ? null : problems.join(", ");
}
