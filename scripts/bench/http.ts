/**
 * HTTP benchmark: hussar's `serve()` and its core API against the runtime's
 * native server (`Deno.serve`, `Bun.serve`, `node:http`), srvx and
 * `@hono/node-server` (Node), with a raw socket loop as the ceiling and the
 * floor of fetch-style servers beside them, on Deno, Bun, Node 26 (the
 * current LTS, `node_lts.ts`) and Node 20; the same routes (`_handlers.ts`)
 * and default options everywhere (hussar's limits and deadlines on).
 *
 *   deno run -A scripts/bench/http.ts [--quick] [--runtime=deno,bun,node,node20]
 *     [--case=memory,get,post,pipeline,stream,upload,churn,h2]
 *     [--server=hussar,core,native,raw,floor,srvx,hono] [--idle=10000] [--out=docs/bench]
 *     [--no-build]
 *   deno run -A scripts/bench/http.ts --report=docs/bench/results.json   (tables and chart again)
 *
 * Each contender runs alone in its own process pinned to core 0; the load
 * generators (`wrk`, then `h2load --h1` as a cross-check that fails the run
 * on any error or non-2xx answer) and the idle-connection client are pinned
 * to core 1, on 127.0.0.1. Every case is warmed up first (`--quick` too:
 * hussar's code is still being compiled in its first second). Node runs the
 * npm build, made first into `.build/bench` (skip with `--no-build`).
 * From the server's heap statistics (`_server.ts`) come the bytes allocated
 * per request and the heap per idle connection, beside RSS. `churn` opens
 * one connection per request (`Connection: close`, h2load, a bounded count,
 * 50 at a time). `h2` is HTTP/2 over cleartext with prior knowledge:
 * `h2load -c10 -m10` GETs a bounded count of `/` (in a time limit) from a
 * server process of its own (`_server.ts --h2`: `Deno.serve`, `Bun.serve`
 * with `http2: true`, `node:http2`, hussar's `serve()`); any failed or
 * errored request fails the row, and a hussar that does not answer HTTP/2
 * has its row marked missing, with the reason, instead. Prints the table
 * and the ratios to the native server, and writes `results.json` and
 * `bench.svg` into `--out` (default `docs/bench`; not written when a filter
 * narrows the run, unless `--out` is given).
 *
 * `raw` (`_raw.ts`) counts request heads and writes canned bytes: no server
 * goes faster on the runtime. `floor` (`_floor.ts`) is the least a server
 * handing its handler a genuine `Request` must do.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  h2load,
  h2loadProblem,
  type H2loadResult,
  type LoadOptions,
  parseH2load,
  run,
  wrk,
} from "./_load.ts";
import {
  type CaseResult,
  missingNotes,
  ratios,
  ratioTable,
  type ServerName,
  SERVERS,
  svgChart,
  table,
} from "./_report.ts";
import { STREAM_CHUNK, STREAM_CHUNKS } from "./_handlers.ts";
import { binary, list, option } from "./_args.ts";
import { buildForNode } from "./_node_build.ts";
import { nodeLtsBinary } from "./node_lts.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..");
const NODE_OUT = ".build/bench";
const SERVER_CPU = "0";
const LOAD_CPU = "1";
/** `node` is the current LTS (`node_lts.ts`); `node20` the oldest Node `engines` allows. */
const RUNTIMES = ["deno", "bun", "node", "node20"] as const;
// Memory first, on a fresh process warmed up only by hello-world requests.
const CASES = ["memory", "get", "post", "pipeline", "stream", "upload", "churn", "h2"] as const;
/** The cases contenders that are not whole servers answer (all others answer all). */
const PARTIAL: Record<string, readonly string[]> = {
  raw: ["memory", "get", "pipeline", "churn"],
  floor: ["memory", "get", "post", "pipeline"],
};
/** The contenders with an HTTP/2 server (the `h2` case). */
const H2_SERVERS: readonly string[] = ["hussar", "native"];
/** Contenders of one runtime family only. */
const ONLY_ON: Record<string, readonly string[]> = { hono: ["node", "node20"] };
const NATIVE: Record<string, string> = {
  deno: "Deno.serve",
  bun: "Bun.serve",
  node: "node:http",
  node20: "node:http",
};
const NATIVE_H2: Record<string, string> = {
  deno: "Deno.serve",
  bun: "Bun.serve",
  node: "node:http2",
  node20: "node:http2",
};
/** Connections of the churn case, and how many at a time. */
const CHURN_CONNECTIONS = 20_000;
const CHURN_PARALLEL = 50;
const ECHO_BYTES = 1024;
const UPLOAD_BYTES = 16 * 2 ** 20;
const STREAM_BYTES = STREAM_CHUNK * STREAM_CHUNKS;

interface Settings {
  /** wrk's measured run and h2load's run, in seconds. */
  seconds: number;
  h2loadSeconds: number;
  /** Unrecorded wrk run before each case (whole seconds; 0: none). */
  warmupSeconds: number;
  idleConnections: number;
  /** The `h2` case: requests of the warm-up and of the measured run. */
  h2Warmup: number;
  h2Requests: number;
}

const FULL: Settings = {
  seconds: 3,
  h2loadSeconds: 2,
  warmupSeconds: 2,
  idleConnections: 10_000,
  h2Warmup: 20_000,
  h2Requests: 100_000,
};
const QUICK: Settings = {
  seconds: 1,
  h2loadSeconds: 1,
  warmupSeconds: 1,
  idleConnections: 10_000,
  h2Warmup: 5_000,
  h2Requests: 20_000,
};
/** An h2load run of the `h2` case that takes longer than this fails. */
const H2_TIME_LIMIT_MS = 120_000;

function serverCommand(
  runtime: string,
  server: ServerName,
  port: number,
  h2: boolean,
): string[] {
  const args = [`--server=${server}`, `--port=${port}`, ...(h2 ? ["--h2"] : [])];
  if (runtime === "deno") {
    return [
      binary("deno"),
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      join(HERE, "_server.ts"),
      ...args,
    ];
  }
  if (runtime === "bun") return [binary("bun"), join(HERE, "_server.ts"), ...args];
  const node = runtime === "node" ? nodeLtsBinary(ROOT) : "node";
  const built = join(ROOT, NODE_OUT, "esm", "scripts", "bench", "_server.js");
  return [node, "--expose-gc", built, ...args];
}

/** A spawned process and its output lines, for `ready`/`open` handshakes. */
class Child {
  readonly process: ChildProcess;
  #lines: string[] = [];
  #waiters: (() => void)[] = [];
  #stderr = "";
  #exited = false;

  constructor(command: string[], stdin: "ignore" | "pipe" = "ignore") {
    this.process = spawn(command[0], command.slice(1), {
      cwd: ROOT,
      stdio: [stdin, "pipe", "pipe"],
    });
    let pending = "";
    this.process.stdout!.setEncoding("utf8").on("data", (text: string) => {
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      this.#lines.push(...lines);
      this.#wake();
    });
    this.process.stderr!.setEncoding("utf8").on("data", (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-4000);
    });
    this.process.on("exit", () => {
      this.#exited = true;
      this.#wake();
    });
  }

  get pid(): number {
    return this.process.pid!;
  }

  /** A server's heap statistics (`_server.ts`), after a full collection. */
  async stats(): Promise<ServerStats> {
    this.process.stdin!.write("stats\n");
    return JSON.parse((await this.line("stats ", 30_000)).slice("stats ".length));
  }

  /**
   * The bytes a server's heap has allocated so far (`null` where not
   * counted), with no collection: a forced full collection slowed hussar on
   * Deno by a fifth for the seconds after it, the very run it brackets.
   */
  async allocated(): Promise<number | null> {
    this.process.stdin!.write("allocated\n");
    return JSON.parse((await this.line("allocated ", 30_000)).slice("allocated ".length));
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  /** The first output line starting with `prefix`. */
  async line(prefix: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.#lines.findIndex((l) => l.startsWith(prefix));
      if (at !== -1) return this.#lines.splice(at, 1)[0]; // taken: the next ask waits anew
      if (this.#exited) throw new Error(`exited before "${prefix}": ${this.#stderr}`);
      if (Date.now() > deadline) {
        throw new Error(`no "${prefix}" in ${timeoutMs} ms: ${this.#stderr}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Kills this process (and only it) and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.process.once("exit", () => resolve()));
    this.process.kill("SIGKILL");
    await exited;
  }
}

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (match === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

/**
 * CPU time the process used so far, all its threads (user + system), in
 * seconds: per request, a figure that other load on the machine barely moves.
 */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at field 3; utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** What a server says of its heap (`_server.ts`). */
interface ServerStats {
  heapUsed: number;
  allocated: number | null;
}

/** Linux's USER_HZ, the unit of /proc/PID/stat times. */
const CLOCK_TICKS = 100;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Files the load generators need: Lua scripts and request bodies. */
function fixtures(dir: string): Record<string, string> {
  const json = JSON.stringify({ data: "x".repeat(ECHO_BYTES - 11) });
  if (json.length !== ECHO_BYTES) throw new Error(`echo body is ${json.length} bytes`);
  const files: Record<string, string> = {
    echoBody: join(dir, "echo.json"),
    uploadBody: join(dir, "upload.bin"),
    post: join(dir, "post.lua"),
    pipeline: join(dir, "pipeline.lua"),
    upload: join(dir, "upload.lua"),
  };
  writeFileSync(files.echoBody, json);
  writeFileSync(files.uploadBody, new Uint8Array(UPLOAD_BYTES).fill(0x78));
  writeFileSync(
    files.post,
    `wrk.method = "POST"\nwrk.body = '${json}'\nwrk.headers["Content-Type"] = "application/json"\n`,
  );
  writeFileSync(
    files.pipeline,
    [
      "local batch",
      "init = function(args)",
      "  local r = {}",
      '  for i = 1, 16 do r[i] = wrk.format("GET", "/") end',
      "  batch = table.concat(r)",
      "end",
      "request = function() return batch end",
      "",
    ].join("\n"),
  );
  writeFileSync(
    files.upload,
    `wrk.method = "POST"\nwrk.body = string.rep("x", ${UPLOAD_BYTES})\n`,
  );
  return files;
}

interface Throughput {
  path: string;
  connections: number;
  script?: string;
  pipeline?: number;
  bodyFile?: string;
  headers?: string[];
  /** Payload bytes per request, for bytes/s. */
  payload?: number;
}

function throughputCase(name: string, files: Record<string, string>): Throughput {
  switch (name) {
    case "get":
      return { path: "/", connections: 64 };
    case "post":
      return {
        path: "/echo",
        connections: 64,
        script: files.post,
        bodyFile: files.echoBody,
        headers: ["content-type: application/json"],
      };
    case "pipeline":
      return { path: "/", connections: 32, script: files.pipeline, pipeline: 16 };
    case "stream":
      return { path: "/stream", connections: 16, payload: STREAM_BYTES };
    case "upload":
      return {
        path: "/upload",
        connections: 4,
        script: files.upload,
        bodyFile: files.uploadBody,
        payload: UPLOAD_BYTES,
      };
  }
  throw new Error(`no such case ${name}`);
}

async function measureThroughput(
  base: CaseResult,
  spec: Throughput,
  port: number,
  server: Child,
  settings: Settings,
): Promise<CaseResult> {
  const load = (seconds: number): LoadOptions => ({
    url: `http://127.0.0.1:${port}${spec.path}`,
    connections: spec.connections,
    seconds,
    cpus: LOAD_CPU,
  });
  if (settings.warmupSeconds > 0) await wrk(load(settings.warmupSeconds), spec.script);
  // h2load first: it also warms the server up for wrk's headline figures.
  const h = await h2load(load(settings.h2loadSeconds), spec);
  const problem = h2loadProblem(h);
  if (problem !== null) throw new Error(`h2load: ${problem}`);
  const { result: w, per } = await metered(server, () => wrk(load(settings.seconds), spec.script));
  if (w.errors.length > 0) throw new Error(`wrk: ${w.errors.join("; ")}`);
  return {
    ...base,
    requestsPerSecond: w.requestsPerSecond,
    p50Ms: w.p50Ms,
    p99Ms: w.p99Ms,
    bytesPerSecond: spec.payload === undefined ? undefined : w.requestsPerSecond * spec.payload,
    ...per(w.requests),
    rssAfterKiB: rssKiB(server.pid),
    h2loadRequestsPerSecond: h.requestsPerSecond,
    h2loadSucceeded: h.succeeded,
  };
}

/**
 * Runs `run` and measures the server meanwhile: `per(count)` gives its CPU
 * µs and the bytes its heap allocated per request (or connection) of `count`.
 */
async function metered<T>(server: Child, run: () => Promise<T>): Promise<{
  result: T;
  per(count: number): { cpuUsPerRequest: number; bytesAllocatedPerRequest: number | undefined };
}> {
  const before = await server.allocated();
  const cpuBefore = cpuSeconds(server.pid);
  const result = await run();
  const cpu = cpuSeconds(server.pid) - cpuBefore;
  const after = await server.allocated();
  return {
    result,
    per: (count) => ({
      cpuUsPerRequest: (cpu * 1e6) / count,
      bytesAllocatedPerRequest: before === null || after === null || count === 0
        ? undefined
        : (after - before) / count,
    }),
  };
}

/**
 * One request per connection (`Connection: close`): h2load opens
 * {@linkcode CHURN_CONNECTIONS}, {@linkcode CHURN_PARALLEL} at a time, after
 * a tenth as many to warm up; connections/s, and CPU and bytes allocated per
 * connection.
 */
async function measureChurn(base: CaseResult, port: number, server: Child): Promise<CaseResult> {
  const churn = (count: number): Promise<string> =>
    run([
      "taskset",
      "-c",
      LOAD_CPU,
      "h2load",
      "--h1",
      "-t1",
      `-c${CHURN_PARALLEL}`,
      `-n${count}`,
      "-H",
      "Connection: close",
      `http://127.0.0.1:${port}/`,
    ], 180_000);
  const warm = parseH2load(await churn(CHURN_CONNECTIONS / 10));
  const warmProblem = h2loadProblem(warm);
  if (warmProblem !== null) throw new Error(`h2load (warm-up): ${warmProblem}`);
  const { result: h, per } = await metered(
    server,
    async () => parseH2load(await churn(CHURN_CONNECTIONS)),
  );
  const problem = h2loadProblem(h);
  if (problem !== null) throw new Error(`h2load: ${problem}`);
  if (h.succeeded !== CHURN_CONNECTIONS) {
    throw new Error(`h2load: ${h.succeeded} of ${CHURN_CONNECTIONS} succeeded`);
  }
  return {
    ...base,
    connectionsPerSecond: h.requestsPerSecond,
    ...per(h.succeeded),
    rssAfterKiB: rssKiB(server.pid),
    h2loadSucceeded: h.succeeded,
  };
}

/** Why `url` does not answer HTTP/2 with prior knowledge (curl's answer), or null if it does. */
async function h2Refusal(url: string): Promise<string | null> {
  const curl = ["curl", "-sS", "--http2-prior-knowledge", "-m", "10", "-o", "/dev/null"];
  try {
    const version = await run([...curl, "-w", "%{http_version}", url], 30_000);
    return version.trim() === "2" ? null : `answered HTTP/${version.trim()} to the HTTP/2 preface`;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return `no HTTP/2 answer to the preface (${message.split("): ").pop()!.trim()})`;
  }
}

/**
 * The `h2` case: `h2load -c10 -m10` (h2c, prior knowledge) GETs `/`, a
 * warm-up then the measured count, each bounded by {@linkcode H2_TIME_LIMIT_MS};
 * every request must succeed with a 2xx. A hussar that does not speak HTTP/2
 * yet gives a row marked missing, with curl's answer as the reason.
 */
async function measureH2(
  base: CaseResult,
  port: number,
  server: Child,
  settings: Settings,
): Promise<CaseResult> {
  const url = `http://127.0.0.1:${port}/`;
  if (base.server === "hussar") {
    const refusal = await h2Refusal(url);
    if (refusal !== null) return { ...base, missing: refusal };
  }
  const load = async (count: number): Promise<H2loadResult> => {
    const h2 = ["h2load", "-t1", "-c10", "-m10", `-n${count}`, url];
    const h = parseH2load(await run(["taskset", "-c", LOAD_CPU, ...h2], H2_TIME_LIMIT_MS));
    const problem = h2loadProblem(h) ??
      (h.succeeded === count ? null : `${h.succeeded} of ${count} succeeded`);
    if (problem !== null) throw new Error(`h2load: ${problem}`);
    return h;
  };
  await load(settings.h2Warmup);
  const { result: h, per } = await metered(server, () => load(settings.h2Requests));
  return {
    ...base,
    requestsPerSecond: h.requestsPerSecond,
    ...per(h.succeeded),
    rssAfterKiB: rssKiB(server.pid),
    h2loadRequestsPerSecond: h.requestsPerSecond,
    h2loadSucceeded: h.succeeded,
  };
}

async function measureMemory(
  base: CaseResult,
  server: Child,
  port: number,
  count: number,
): Promise<CaseResult> {
  // Warm up the hello-world path so that compiled code is not counted per connection.
  await wrk({ url: `http://127.0.0.1:${port}/`, connections: 8, seconds: 1, cpus: LOAD_CPU });
  await sleep(500);
  const heapBefore = (await server.stats()).heapUsed;
  const before = rssKiB(server.pid);
  const client = new Child([
    "taskset",
    "-c",
    LOAD_CPU,
    binary("deno"),
    "run",
    "-A",
    join(HERE, "_idle_clients.ts"),
    `--port=${port}`,
    `--count=${count}`,
  ], "pipe");
  try {
    const line = await client.line("open ", 120_000);
    const [, opened, dropped] = /open (\d+) dropped (\d+)/.exec(line)!.map(Number);
    // At once: the earliest connections reach the servers' keep-alive timeout (5 s) soon.
    const withConnections = rssKiB(server.pid);
    const heapWith = (await server.stats()).heapUsed;
    client.process.stdin!.end();
    await client.line("closed ", 10_000);
    if (opened !== count || dropped > 0) {
      throw new Error(
        `${opened} of ${count} connections opened, ${dropped} closed by the server before ` +
          "all were answered (a loaded machine: the keep-alive timeout passed)",
      );
    }
    return {
      ...base,
      connections: count,
      rssBeforeKiB: before,
      rssWithKiB: withConnections,
      kibPerConnection: (withConnections - before) / count,
      heapKibPerConnection: (heapWith - heapBefore) / 1024 / count,
    };
  } finally {
    await client.stop();
  }
}

/** Runs one case against a running contender. */
function measure(
  base: CaseResult,
  server: Child,
  port: number,
  settings: Settings,
  files: Record<string, string>,
): Promise<CaseResult> {
  switch (base.case) {
    case "memory":
      return measureMemory(base, server, port, settings.idleConnections);
    case "churn":
      return measureChurn(base, port, server);
    case "h2":
      return measureH2(base, port, server, settings);
  }
  return measureThroughput(base, throughputCase(base.case, files), port, server, settings);
}

/** One case's figure, as the run prints it. */
function summary(result: CaseResult): string {
  if (result.missing !== undefined) return `missing: ${result.missing}`;
  if (result.kibPerConnection !== undefined) {
    return `${result.kibPerConnection.toFixed(1)} KiB/conn (heap ${
      result.heapKibPerConnection!.toFixed(2)
    })`;
  }
  if (result.connectionsPerSecond !== undefined) {
    return `${Math.round(result.connectionsPerSecond)} conn/s`;
  }
  return `${Math.round(result.requestsPerSecond!)} req/s (${
    result.cpuUsPerRequest!.toFixed(1)
  } µs CPU)`;
}

/** `--report=results.json`: prints the table and redraws the chart of an earlier run. */
async function replot(path: string): Promise<void> {
  const report = JSON.parse(readFileSync(path, "utf8"));
  console.log(
    `${table(report.results)}\n\n${ratioTable(report.results)}${missingNotes(report.results)}`,
  );
  const title = `hussar and others ÷ the native server (${report.machine.cpus} cores, ${
    report.date.slice(0, 10)
  })`;
  await writeChart(join(dirname(path), "bench.svg"), svgChart(report.results, title));
}

/** Writes the chart, laid out as `deno fmt` (which checks the repository's SVG) wants it. */
async function writeChart(path: string, svg: string): Promise<void> {
  writeFileSync(path, svg);
  await run([binary("deno"), "fmt", "--quiet", path], 60_000);
}

async function main(): Promise<void> {
  const previous = option("report");
  if (previous !== undefined) return await replot(previous);
  const quick = process.argv.includes("--quick");
  const idle = option("idle");
  const settings = { ...(quick ? QUICK : FULL) };
  if (idle !== undefined) settings.idleConnections = Number(idle);
  const runtimes = list("runtime", RUNTIMES);
  const cases = list("case", CASES);
  const servers = list("server", SERVERS);
  const filtered = ["runtime", "case", "server", "idle"].some((name) => option(name) !== undefined);
  const outDir = option("out") ?? (filtered ? undefined : join(ROOT, "docs", "bench"));
  const started = Date.now();
  if (runtimes.some((r) => r.startsWith("node")) && !process.argv.includes("--no-build")) {
    await buildForNode(NODE_OUT);
  }
  const dir = mkdtempSync(join(tmpdir(), "hussar-bench-"));
  const files = fixtures(dir);
  const results: CaseResult[] = [];
  const failures: string[] = [];
  let port = 18_080;
  try {
    for (const runtime of runtimes) {
      for (const server of servers) {
        if (ONLY_ON[server] !== undefined && !ONLY_ON[server].includes(runtime)) continue;
        // The HTTP/2 case has a server process of its own (node:http2 speaks no HTTP/1.1).
        for (const h2 of [false, true]) {
          const own = cases.filter((name) =>
            (name === "h2") === h2 && (PARTIAL[server] ?? CASES).includes(name) &&
            (name !== "h2" || H2_SERVERS.includes(server))
          );
          if (own.length === 0) continue;
          port++;
          const child = new Child([
            "taskset",
            "-c",
            SERVER_CPU,
            ...serverCommand(runtime, server, port, h2),
          ], "pipe");
          try {
            await child.line("ready", 30_000);
            for (const name of own) {
              const label = (h2 ? NATIVE_H2 : NATIVE)[runtime];
              const base: CaseResult = { runtime, case: name, server, label };
              process.stdout.write(`${runtime} ${server} ${name} ... `);
              let result: CaseResult;
              try {
                result = await measure(base, child, port, settings, files);
              } catch (error) {
                // The case does not count; the others go on, and the run fails at the end.
                const message = error instanceof Error ? error.message : String(error);
                failures.push(`${runtime} ${server} ${name}: ${message}`);
                console.log(`FAILED: ${message}`);
                continue;
              }
              results.push(result);
              console.log(summary(result));
            }
          } finally {
            await child.stop();
          }
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `\n${table(results)}\n\n${ratioTable(results)}${missingNotes(results)}\n\n(${
      seconds.toFixed(0)
    } s)`,
  );
  if (outDir !== undefined) {
    mkdirSync(outDir, { recursive: true });
    const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? "", kernel: release() };
    const report = {
      date: new Date().toISOString(),
      command: ["deno run -A scripts/bench/http.ts", ...process.argv.slice(2)].join(" "),
      machine,
      settings: { ...settings, serverCpu: SERVER_CPU, loadCpu: LOAD_CPU },
      results,
      failures,
      ratios: ratios(results),
    };
    writeFileSync(join(outDir, "results.json"), JSON.stringify(report, null, 2) + "\n");
    const title = `hussar and others ÷ the native server (${machine.cpus} cores, ${
      report.date.slice(0, 10)
    })`;
    await writeChart(join(outDir, "bench.svg"), svgChart(results, title));
    console.log(`wrote ${relative(ROOT, join(outDir, "results.json"))} and bench.svg`);
  }
  if (failures.length > 0) {
    console.error(`\n${failures.length} case(s) failed:\n${failures.join("\n")}`);
    process.exitCode = 1;
  }
}

await main();
