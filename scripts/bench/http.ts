/**
 * HTTP benchmark: hussar's `serve()` and its core API against the runtime's
 * native server (`Deno.serve`, `Bun.serve`, `node:http`), srvx and
 * `@hono/node-server` (Node), with a raw socket loop as the ceiling and the
 * floor of fetch-style servers beside them, on Deno, Bun, Node 26 (the
 * current LTS, `node_lts.ts`) and Node 20; the same routes (`_handlers.ts`)
 * and default options everywhere (hussar's limits and deadlines on).
 *
 *   deno run -A scripts/bench/http.ts [--quick] [--runtime=deno,bun,node,node20]
 *     [--case=footprint,memory,get,post,pipeline,stream,upload,churn,h2]
 *     [--server=hussar,core,native,raw,floor,srvx,hono] [--rounds=3] [--spread-rounds=5]
 *     [--fresh-rounds=2]
 *     [--idle=10000] [--h2-streams=10] [--port=18080] [--out=docs/bench] [--no-build]
 *   deno run -A scripts/bench/http.ts --report=docs/bench/results.json   (tables and chart again)
 *
 * Each contender runs in its own process pinned to core 0; the load
 * generators and the idle-connection client are pinned to core 1, on
 * 127.0.0.1. The machine is shared and its speed drifts, so contenders are
 * measured in rounds, in turn (A B C A B C ...): all of a runtime's
 * contenders are started, each is warmed up on a case (`wrk`, then
 * `h2load --h1` as a cross-check that fails the case on any error or
 * non-2xx answer), then each gets `--rounds` short measured `wrk` runs in
 * turn (`stream`, `upload` and `churn`, whose cells spread most, get
 * `--spread-rounds`, the payload cases two seconds each); every figure of a
 * cell is the median of its runs, printed with its spread, and each ratio is
 * of medians, with the range of the single rounds' ratios beside it. `footprint` (RSS right after `wrk -c8` on a
 * fresh process, and the heap left after a full collection) and `memory`
 * (idle keep-alive connections: RSS and heap per connection) take a fresh
 * process per contender and round (`--fresh-rounds`), footprint first.
 * `churn` opens one connection per request (`Connection: close`, 50 at a
 * time, `wrk`, which reconnects whenever the server closes: Bun.serve closes
 * without saying so, which h2load counts as failures), warmed up with a
 * count of connections first (`_churn_client.ts`). `h2` is HTTP/2 over
 * cleartext with prior knowledge: `h2load -c10 -m10` (`--h2-streams`) GETs a bounded count
 * of `/` (in a time limit) from server processes of their own
 * (`_server.ts --h2`: `Deno.serve`, `Bun.serve` with `http2: true`,
 * `node:http2`, hussar's `serve()`); any failed or errored request fails
 * the cell, and a hussar that does not answer HTTP/2 has its row marked
 * missing, with the reason, instead. Every run also records how busy the
 * load generator's own core was (`clientCpu`: near 100%, the generator
 * and not the server set the figure). From the server's heap statistics
 * (`_server.ts`) come the bytes allocated per request and the heap in use.
 *
 * Prints the table, the ratios to the native server and the targets of
 * issues 15 and 16 (`_targets.ts`) beside the run's figures, and writes
 * `results.json` and `bench.svg` into `--out` (default `docs/bench`; not
 * written when a filter narrows the run, unless `--out` is given). Node runs
 * the npm build, made first into `.build/bench` (skip with `--no-build`).
 *
 * `raw` (`_raw.ts`) counts request heads and writes canned bytes (for an
 * upload, skips the body its `Content-Length` gives): no server goes faster
 * on the runtime. `floor` (`_floor.ts`) is the least a server
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
import { connect } from "node:net";
import {
  h2load,
  h2loadProblem,
  type H2loadResult,
  type LoadOptions,
  parseH2load,
  run,
  runTimed,
  wrk,
  type WrkResult,
} from "./_load.ts";
import {
  type CaseResult,
  metricOf,
  missingNotes,
  ratios,
  ratioTable,
  type ServerName,
  SERVERS,
  svgChart,
  table,
} from "./_report.ts";
import { combineRuns, type RunFigures } from "./_rounds.ts";
import { spread } from "./_stats.ts";
import { judgeTargets, targetTable } from "./_targets.ts";
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
const CASES = [
  "footprint",
  "memory",
  "get",
  "post",
  "pipeline",
  "stream",
  "upload",
  "churn",
  "h2",
] as const;
/**
 * The cases measured on a fresh process per contender and round: the
 * footprint under load (RSS after `wrk -c8`), then on the same process the
 * idle connections.
 */
const FRESH_CASES: readonly string[] = ["footprint", "memory"];
/**
 * The cases of contenders that answer only some (all others answer all):
 * the raw loop and the floor are not whole servers, and the core API's
 * memory is not compared with anything.
 */
const PARTIAL: Record<string, readonly string[]> = {
  raw: ["get", "pipeline", "upload", "churn"],
  floor: ["footprint", "memory", "get", "post", "pipeline"],
  core: ["get", "post", "pipeline", "stream", "upload", "churn"],
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
/** The cases measured in `spreadRounds` rounds. */
const SPREAD_CASES: readonly string[] = ["stream", "upload", "churn"];
/** Connections of the churn case at a time. */
const CHURN_PARALLEL = 50;
const ECHO_BYTES = 1024;
const UPLOAD_BYTES = 16 * 2 ** 20;
const STREAM_BYTES = STREAM_CHUNK * STREAM_CHUNKS;

interface Settings {
  /** Measured runs of each contender on each case, taken in turn (A B C A B C ...). */
  rounds: number;
  /**
   * Measured runs of the cases whose cells spread most from run to run (`SPREAD_CASES`): a second
   * of them holds few requests (a 16 MiB upload on Node: ~30), each with a collection or a spell
   * of page faults that moves its CPU ±50%, so their medians take more rounds.
   */
  spreadRounds: number;
  /** One measured wrk run, in (whole) seconds. */
  seconds: number;
  /** One measured run of the 1 MiB stream and the 16 MiB upload, in (whole) seconds. */
  payloadSeconds: number;
  /** Unrecorded wrk run before a contender's rounds of each case (whole seconds; 0: none). */
  warmupSeconds: number;
  /** The h2load --h1 cross-check after the warm-up, in seconds. */
  h2loadSeconds: number;
  /** One measured churn run (wrk, `Connection: close`), in seconds. */
  churnSeconds: number;
  /** The churn case's warm-up: connections made one request each (`_churn_client.ts`), then wrk. */
  churnWarmup: number;
  /** The footprint case's load (`wrk -c8`) on a fresh process, in seconds. */
  footprintSeconds: number;
  /** Fresh processes per contender for the memory and footprint cases, in turn. */
  freshRounds: number;
  idleConnections: number;
  /** The `h2` case: requests of the warm-up and of each measured run. */
  h2Warmup: number;
  h2Requests: number;
  /**
   * The `h2` case: streams in flight per connection (`h2load -m`; issue 16's figure is 10). More
   * cost h2load less per request: 1.8 µs against 4.9 at 10 (Bun.serve, loaded machine).
   */
  h2Streams: number;
}

// wrk takes whole seconds.
const FULL: Settings = {
  rounds: 3,
  spreadRounds: 5,
  seconds: 1,
  payloadSeconds: 2,
  warmupSeconds: 1,
  h2loadSeconds: 1,
  churnSeconds: 1,
  churnWarmup: 30_000,
  footprintSeconds: 5,
  freshRounds: 2,
  idleConnections: 10_000,
  h2Warmup: 20_000,
  h2Requests: 50_000,
  h2Streams: 10,
};
const QUICK: Settings = {
  rounds: 2,
  spreadRounds: 2,
  seconds: 1,
  payloadSeconds: 1,
  warmupSeconds: 1,
  h2loadSeconds: 1,
  churnSeconds: 1,
  churnWarmup: 10_000,
  footprintSeconds: 2,
  freshRounds: 1,
  idleConnections: 10_000,
  h2Warmup: 5_000,
  h2Requests: 10_000,
  h2Streams: 10,
};
/** An h2load run of the `h2` case that takes longer than this fails. */
const H2_TIME_LIMIT_MS = 120_000;

/** A Deno client script of this folder, run on the load generator's core. */
function loadClient(script: string, ...args: string[]): string[] {
  return ["taskset", "-c", LOAD_CPU, binary("deno"), "run", "-A", join(HERE, script), ...args];
}

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
 * seconds: per request, a figure that other load on the machine barely moves;
 * and its minor page faults, which tell a process whose allocator gives memory
 * back and faults it in again (glibc's heap trimming on Node's stream and
 * upload: docs/benchmarks.md) from one that keeps it.
 */
function processCounts(pid: number): { cpuSeconds: number; minorFaults: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at field 3: minflt is 10, utime
  // 14, stime 15 (proc(5)).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS,
    minorFaults: Number(fields[7]),
  };
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

/** A contender's server process, running. */
interface Running {
  server: ServerName;
  child: Child;
  port: number;
}

/**
 * How a case is measured on a running contender: `prepare` once before the
 * rounds (warm-up and cross-checks; figures measured once, or `missing`),
 * then `run` once per round.
 */
interface CaseMeasure {
  prepare(c: Running): Promise<Partial<RunFigures>>;
  run(c: Running): Promise<RunFigures>;
}

function throughputMeasure(spec: Throughput, settings: Settings): CaseMeasure {
  const load = (port: number, seconds: number): LoadOptions => ({
    url: `http://127.0.0.1:${port}${spec.path}`,
    connections: spec.connections,
    seconds,
    cpus: LOAD_CPU,
  });
  return {
    async prepare({ port }) {
      if (settings.warmupSeconds > 0) await wrk(load(port, settings.warmupSeconds), spec.script);
      // h2load counts every answer: any error or non-2xx fails the contender's case. A large
      // payload's count is bounded instead of its time (a slow server may finish none in it).
      const h = spec.payload === undefined
        ? await h2load(load(port, settings.h2loadSeconds), spec)
        : await h2load(load(port, 60), { ...spec, requests: spec.connections * 2 });
      const problem = h2loadProblem(h) ??
        (spec.payload === undefined || h.succeeded === spec.connections * 2
          ? null
          : `${h.succeeded} of ${spec.connections * 2} succeeded`);
      if (problem !== null) throw new Error(`h2load: ${problem}`);
      return { h2loadRequestsPerSecond: h.requestsPerSecond, h2loadSucceeded: h.succeeded };
    },
    async run({ port, child }) {
      const { result: w, per } = await metered(
        child,
        () =>
          wrk(
            load(port, spec.payload === undefined ? settings.seconds : settings.payloadSeconds),
            spec.script,
          ),
      );
      if (w.errors.length > 0) throw new Error(`wrk: ${w.errors.join("; ")}`);
      return {
        requestsPerSecond: w.requestsPerSecond,
        p50Ms: w.p50Ms,
        p99Ms: w.p99Ms,
        bytesPerSecond: spec.payload === undefined ? undefined : w.requestsPerSecond * spec.payload,
        ...per(w.requests),
        rssAfterKiB: rssKiB(child.pid),
        clientCpu: w.clientCpu,
      };
    },
  };
}

/**
 * Runs `run` and measures the server meanwhile: `per(count)` gives its CPU
 * µs, minor page faults and the bytes its heap allocated per request (or
 * connection) of `count`.
 */
async function metered<T>(server: Child, run: () => Promise<T>): Promise<{
  result: T;
  per(count: number): {
    cpuUsPerRequest: number;
    faultsPerRequest: number;
    bytesAllocatedPerRequest: number | undefined;
  };
}> {
  const before = await server.allocated();
  const countsBefore = processCounts(server.pid);
  const result = await run();
  const counts = processCounts(server.pid);
  const after = await server.allocated();
  const cpu = counts.cpuSeconds - countsBefore.cpuSeconds;
  const faults = counts.minorFaults - countsBefore.minorFaults;
  return {
    result,
    per: (count) => ({
      cpuUsPerRequest: (cpu * 1e6) / count,
      faultsPerRequest: faults / count,
      bytesAllocatedPerRequest: before === null || after === null || count === 0
        ? undefined
        : (after - before) / count,
    }),
  };
}

/**
 * Whether the server closes a connection after answering a request with
 * `Connection: close`, and says so (`Connection: close` in its answer; RFC
 * 9112 §9.6 makes that a SHOULD): Bun.serve closes without saying, which
 * h2load takes for a failure of every later request of that client.
 */
function closeBehaviour(port: number): Promise<{ announced: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("the server kept the connection open 5 s after a Connection: close answer"));
    }, 5_000);
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => (received += text));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("end", () => {
      clearTimeout(timer);
      socket.destroy();
      const head = received.slice(0, received.indexOf("\r\n\r\n"));
      if (!head.startsWith("HTTP/1.1 200")) {
        reject(new Error(`unexpected answer ${JSON.stringify(head.slice(0, 40))}`));
      } else resolve({ announced: /\r\nconnection: *close\r?$/im.test(head) });
    });
    socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  });
}

/**
 * One request per connection (`Connection: close`), {@linkcode CHURN_PARALLEL}
 * at a time: `wrk`, which opens a new connection whenever the server closes
 * one (h2load gives up on a client whose server closes without saying so).
 * A server that closes unannounced costs wrk one read error per connection
 * (it sent the next request on it, or saw the end of it without a warning);
 * nothing else may fail. Connections/s, and CPU and bytes allocated per
 * connection.
 *
 * The warm-up is counted in connections (`churnWarmup`, the same for every
 * contender), then a second of wrk: a churn second makes 5-15k connections
 * where a GET second makes 40k+ requests, and on Node 26 a server's CPU per
 * connection settles only after ~20k of them (V8 still compiles its
 * connection code, and compiles much of it again once, ~16-20k in; see
 * docs/benchmarks.md, "serve()'s churn on Node 26, eighth round").
 */
function churnMeasure(settings: Settings): CaseMeasure {
  const unannounced = new Map<Running, boolean>();
  const churn = async (c: Running, seconds: number): Promise<WrkResult> => {
    const options = {
      url: `http://127.0.0.1:${c.port}/`,
      connections: CHURN_PARALLEL,
      seconds,
      cpus: LOAD_CPU,
    };
    const w = await wrk(options, undefined, ["Connection: close"]);
    const { connect, read, write, timeout } = w.socketErrors;
    const tolerated = unannounced.get(c) ? w.requests + CHURN_PARALLEL : 0;
    if (connect + timeout + w.non2xx > 0 || read + write > tolerated || w.requests === 0) {
      throw new Error(`wrk: ${w.requests} answers; ${w.errors.join("; ")}`);
    }
    return w;
  };
  return {
    async prepare(c) {
      const { announced } = await closeBehaviour(c.port);
      unannounced.set(c, !announced);
      await run(
        loadClient(
          "_churn_client.ts",
          `--port=${c.port}`,
          `--count=${settings.churnWarmup}`,
          `--parallel=${CHURN_PARALLEL}`,
        ),
        600_000,
      );
      await churn(c, settings.warmupSeconds);
      return announced ? {} : { closeUnannounced: true };
    },
    async run(c) {
      const { result: w, per } = await metered(c.child, () => churn(c, settings.churnSeconds));
      return {
        connectionsPerSecond: w.requestsPerSecond,
        ...per(w.requests),
        rssAfterKiB: rssKiB(c.child.pid),
        clientCpu: w.clientCpu,
      };
    },
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
 * warm-up then the measured count each round, each bounded by
 * {@linkcode H2_TIME_LIMIT_MS}; every request must succeed with a 2xx. A
 * hussar that does not speak HTTP/2 gives a row marked missing, with curl's
 * answer as the reason.
 */
function h2Measure(settings: Settings): CaseMeasure {
  const load = async (port: number, count: number): Promise<H2loadResult> => {
    const url = `http://127.0.0.1:${port}/`;
    const h2 = ["h2load", "-t1", "-c10", `-m${settings.h2Streams}`, `-n${count}`, url];
    const { out, clientCpu } = await runTimed(["taskset", "-c", LOAD_CPU, ...h2], H2_TIME_LIMIT_MS);
    const h = { ...parseH2load(out), clientCpu };
    const problem = h2loadProblem(h) ??
      (h.succeeded === count ? null : `${h.succeeded} of ${count} succeeded`);
    if (problem !== null) throw new Error(`h2load: ${problem}`);
    return h;
  };
  return {
    async prepare({ server, port }) {
      if (server === "hussar") {
        const refusal = await h2Refusal(`http://127.0.0.1:${port}/`);
        if (refusal !== null) return { missing: refusal };
      }
      await load(port, settings.h2Warmup);
      return {};
    },
    async run({ port, child }) {
      const { result: h, per } = await metered(child, () => load(port, settings.h2Requests));
      return {
        requestsPerSecond: h.requestsPerSecond,
        ...per(h.succeeded),
        rssAfterKiB: rssKiB(child.pid),
        h2loadRequestsPerSecond: h.requestsPerSecond,
        h2loadSucceeded: h.succeeded,
        clientCpu: h.clientCpu,
      };
    },
  };
}

/**
 * The footprint under load, on a fresh process: `wrk -c8` GETs `/` for
 * `seconds`; the server's RSS right after, its heap in use after a full
 * collection, and CPU and bytes allocated per request meanwhile.
 */
async function measureFootprint(c: Running, seconds: number): Promise<RunFigures> {
  const options = { url: `http://127.0.0.1:${c.port}/`, connections: 8, seconds, cpus: LOAD_CPU };
  const { result: w, per } = await metered(c.child, () => wrk(options));
  if (w.errors.length > 0) throw new Error(`wrk: ${w.errors.join("; ")}`);
  const footprintKiB = rssKiB(c.child.pid);
  return {
    requestsPerSecond: w.requestsPerSecond,
    ...per(w.requests),
    footprintKiB,
    heapAfterLoadKiB: (await c.child.stats()).heapUsed / 1024,
    clientCpu: w.clientCpu,
  };
}

/** A round that could not be measured as it should (the machine's load), not a server's fault. */
class Unmeasured extends Error {}

/**
 * `count` idle keep-alive connections (`_idle_clients.ts`, one request each):
 * RSS and heap in use (after full collections) per connection. `warm`: a
 * second of hello-world requests first, so that compiled code is not
 * counted per connection (not needed after the footprint case's load).
 */
async function measureMemory(c: Running, count: number, warm: boolean): Promise<RunFigures> {
  const { child, port } = c;
  if (warm) {
    await wrk({ url: `http://127.0.0.1:${port}/`, connections: 8, seconds: 1, cpus: LOAD_CPU });
  }
  await sleep(500);
  const heapBefore = (await child.stats()).heapUsed;
  const before = rssKiB(child.pid);
  const client = new Child(
    loadClient("_idle_clients.ts", `--port=${port}`, `--count=${count}`),
    "pipe",
  );
  try {
    const line = await client.line("open ", 120_000);
    const [, opened, dropped] = /open (\d+) dropped (\d+)/.exec(line)!.map(Number);
    // At once: the earliest connections reach the servers' keep-alive timeout (5 s) soon.
    const withConnections = rssKiB(child.pid);
    const heapWith = (await child.stats()).heapUsed;
    client.process.stdin!.end();
    await client.line("closed ", 10_000);
    if (opened !== count || dropped > 0) {
      throw new Unmeasured(
        `${opened} of ${count} connections opened, ${dropped} closed by the server before ` +
          "all were answered (a loaded machine: the keep-alive timeout passed)",
      );
    }
    return {
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

/** One case's figure, as the run prints it. */
function summary(result: CaseResult): string {
  if (result.missing !== undefined) return `missing: ${result.missing}`;
  const samples = result.samples ?? [];
  const spreadNote = samples.length > 1 ? ` ±${(spread(samples) * 100).toFixed(0)}%` : "";
  if (result.footprintKiB !== undefined) {
    return `${(result.footprintKiB / 1024).toFixed(1)} MiB RSS after load${spreadNote} (heap ${
      ((result.heapAfterLoadKiB ?? 0) / 1024).toFixed(1)
    } MiB)`;
  }
  if (result.kibPerConnection !== undefined) {
    return `${result.kibPerConnection.toFixed(1)} KiB/conn${spreadNote} (heap ${
      result.heapKibPerConnection!.toFixed(2)
    })`;
  }
  const client = result.clientCpu === undefined
    ? ""
    : `, client ${(result.clientCpu * 100).toFixed(0)}% busy`;
  if (result.connectionsPerSecond !== undefined) {
    return `${Math.round(result.connectionsPerSecond)} conn/s${spreadNote} (${
      result.cpuUsPerRequest!.toFixed(1)
    } µs CPU${client})`;
  }
  const rate = result.bytesPerSecond === undefined
    ? `${Math.round(result.requestsPerSecond!)} req/s`
    : `${(result.bytesPerSecond / 2 ** 20).toFixed(0)} MiB/s`;
  const faults = result.faultsPerRequest === undefined
    ? ""
    : `, ${result.faultsPerRequest.toFixed(result.faultsPerRequest < 10 ? 2 : 0)} faults`;
  return `${rate}${spreadNote} (${
    result.cpuUsPerRequest!.toFixed(1)
  } µs CPU${faults} per request${client})`;
}

/** A run's judged figure with its unit, for the progress lines. */
function shortFigure(result: CaseResult): string {
  const { name, value } = metricOf(result)!;
  return name === "bytes/s"
    ? `${(value / 2 ** 20).toFixed(0)} MiB/s`
    : `${value.toFixed(value < 100 ? 1 : 0)} ${name}`;
}

/** What a run has measured so far, and what failed. */
interface Tally {
  results: CaseResult[];
  failures: string[];
}

function failed(tally: Tally, what: string, error: unknown): void {
  // The case does not count for this contender; the others go on, and the run fails at the end.
  const message = error instanceof Error ? error.message : String(error);
  tally.failures.push(`${what}: ${message}`);
  console.log(`${what}: FAILED: ${message}`);
}

/**
 * One case on running contenders: each is prepared, then measured once per
 * round, in turn (A B C A B C ...), so that a spell of load on the machine
 * falls on all of them; each cell is the median of its runs.
 */
async function inRounds(
  runtime: string,
  name: string,
  label: string,
  contenders: readonly Running[],
  measure: CaseMeasure,
  rounds: number,
  tally: Tally,
): Promise<void> {
  const cells = new Map<
    Running,
    { base: CaseResult; extra: Partial<RunFigures>; runs: RunFigures[] }
  >();
  for (const c of contenders) {
    const base: CaseResult = { runtime, case: name, server: c.server, label };
    try {
      const extra = await measure.prepare(c);
      if (extra.missing !== undefined) {
        tally.results.push({ ...base, ...extra });
        console.log(`${runtime} ${name} ${c.server}: missing: ${extra.missing}`);
      } else cells.set(c, { base, extra, runs: [] });
    } catch (error) {
      failed(tally, `${runtime} ${name} ${c.server}`, error);
    }
  }
  for (let round = 1; round <= rounds; round++) {
    const figures: string[] = [];
    for (const [c, cell] of cells) {
      try {
        const figuresOfRun = await measure.run(c);
        cell.runs.push(figuresOfRun);
        figures.push(`${c.server} ${shortFigure({ ...cell.base, ...figuresOfRun })}`);
      } catch (error) {
        failed(tally, `${runtime} ${name} ${c.server} (round ${round})`, error);
        cells.delete(c);
      }
    }
    console.log(`${runtime} ${name} round ${round}/${rounds}: ${figures.join(", ")}`);
  }
  for (const { base, extra, runs } of cells.values()) {
    const result = combineRuns(base, runs, extra);
    tally.results.push(result);
    console.log(`${runtime} ${name} ${base.server}: ${summary(result)}`);
  }
}

/** Starts a contender's server process pinned to the server's core; resolves once it listens. */
async function startServer(
  runtime: string,
  server: ServerName,
  port: number,
  h2: boolean,
): Promise<Running> {
  const child = new Child(
    ["taskset", "-c", SERVER_CPU, ...serverCommand(runtime, server, port, h2)],
    "pipe",
  );
  try {
    await child.line("ready", 30_000);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { server, child, port };
}

/**
 * The memory and footprint cases, each contender on a fresh process per
 * round, in turn: the footprint load first (it also warms up the process
 * for the idle connections), then the idle connections.
 */
async function freshCases(
  runtime: string,
  servers: readonly ServerName[],
  cases: readonly string[],
  settings: Settings,
  nextPort: () => number,
  tally: Tally,
): Promise<void> {
  const runs = new Map<string, RunFigures[]>();
  const broken = new Set<string>();
  const unmeasured = new Map<string, string>();
  for (let round = 1; round <= settings.freshRounds; round++) {
    for (const server of servers) {
      const own = cases.filter((name) => hasCase(server, name) && !broken.has(`${name} ${server}`));
      if (own.length === 0) continue;
      let c: Running;
      try {
        c = await startServer(runtime, server, nextPort(), false);
      } catch (error) {
        for (const name of own) broken.add(`${name} ${server}`);
        failed(tally, `${runtime} ${own.join(",")} ${server}`, error);
        continue;
      }
      try {
        for (const name of own) {
          const key = `${name} ${server}`;
          try {
            const figures = name === "footprint"
              ? await measureFootprint(c, settings.footprintSeconds)
              : await measureMemory(c, settings.idleConnections, !own.includes("footprint"));
            runs.set(key, [...(runs.get(key) ?? []), figures]);
            const figure = shortFigure({ runtime, case: name, server, label: "", ...figures });
            console.log(
              `${runtime} ${name} round ${round}/${settings.freshRounds}: ${server} ${figure}`,
            );
          } catch (error) {
            const what = `${runtime} ${name} ${server} (round ${round})`;
            if (error instanceof Unmeasured) {
              // Not counted; the other rounds go on, and the cell fails only if none counts.
              unmeasured.set(key, `${what}: ${error.message}`);
              console.log(`${what}: not counted: ${error.message}`);
              continue;
            }
            broken.add(key);
            runs.delete(key);
            failed(tally, what, error);
          }
        }
      } finally {
        await c.child.stop();
      }
    }
  }
  for (const name of cases) {
    for (const server of servers) {
      const figures = runs.get(`${name} ${server}`);
      const why = unmeasured.get(`${name} ${server}`);
      if (figures === undefined && why !== undefined && !broken.has(`${name} ${server}`)) {
        tally.failures.push(`${why} (no round counted)`);
      }
      if (figures === undefined) continue;
      const base: CaseResult = { runtime, case: name, server, label: NATIVE[runtime] };
      const result = combineRuns(base, figures);
      tally.results.push(result);
      console.log(`${runtime} ${name} ${server}: ${summary(result)}`);
    }
  }
}

/** Whether `server` answers case `name` (the partial contenders answer some). */
function hasCase(server: ServerName, name: string): boolean {
  return (PARTIAL[server] ?? CASES).includes(name) &&
    (name !== "h2" || H2_SERVERS.includes(server));
}

/** The HTTP/1.1 load cases or the `h2` case on every contender at once, in rounds. */
async function loadCases(
  runtime: string,
  servers: readonly ServerName[],
  cases: readonly string[],
  h2: boolean,
  settings: Settings,
  files: Record<string, string>,
  nextPort: () => number,
  tally: Tally,
): Promise<void> {
  const running: Running[] = [];
  try {
    for (const server of servers) {
      if (!cases.some((name) => hasCase(server, name))) continue;
      try {
        running.push(await startServer(runtime, server, nextPort(), h2));
      } catch (error) {
        failed(tally, `${runtime} ${server}${h2 ? " (h2)" : ""}`, error);
      }
    }
    for (const name of cases) {
      const measure = name === "h2"
        ? h2Measure(settings)
        : name === "churn"
        ? churnMeasure(settings)
        : throughputMeasure(throughputCase(name, files), settings);
      const label = (h2 ? NATIVE_H2 : NATIVE)[runtime];
      const contenders = running.filter((c) => hasCase(c.server, name));
      const rounds = SPREAD_CASES.includes(name) ? settings.spreadRounds : settings.rounds;
      await inRounds(runtime, name, label, contenders, measure, rounds, tally);
    }
  } finally {
    for (const c of running) await c.child.stop();
  }
}

/** `--report=results.json`: prints the table and redraws the chart of an earlier run. */
async function replot(path: string): Promise<void> {
  const report = JSON.parse(readFileSync(path, "utf8"));
  console.log(
    `${table(report.results)}\n\n${ratioTable(report.results)}${
      missingNotes(report.results)
    }\n\nTargets:\n\n${targetTable(judgeTargets(report.results))}`,
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
  const settings = { ...(quick ? QUICK : FULL) };
  const counts = {
    idle: "idleConnections",
    rounds: "rounds",
    "spread-rounds": "spreadRounds",
    "fresh-rounds": "freshRounds",
    "h2-streams": "h2Streams",
  } as const;
  for (const [name, key] of Object.entries(counts)) {
    const value = option(name);
    if (value === undefined) continue;
    if (!/^[1-9]\d*$/.test(value)) {
      throw new Error(`--${name}: a positive whole number, not ${value}`);
    }
    settings[key] = Number(value);
  }
  // More rounds asked for all cases are not fewer for the spread ones.
  if (option("spread-rounds") === undefined) {
    settings.spreadRounds = Math.max(settings.spreadRounds, settings.rounds);
  }
  const runtimes = list("runtime", RUNTIMES);
  const cases = list("case", CASES);
  const servers = list("server", SERVERS);
  const filtered = ["runtime", "case", "server", "idle", ...Object.keys(counts)]
    .some((name) => option(name) !== undefined);
  const outDir = option("out") ?? (filtered ? undefined : join(ROOT, "docs", "bench"));
  const started = Date.now();
  if (runtimes.some((r) => r.startsWith("node")) && !process.argv.includes("--no-build")) {
    await buildForNode(NODE_OUT);
  }
  const dir = mkdtempSync(join(tmpdir(), "hussar-bench-"));
  const files = fixtures(dir);
  const tally: Tally = { results: [], failures: [] };
  let port = Number(option("port") ?? 18_080); // the first server's is one more
  const nextPort = (): number => ++port;
  try {
    for (const runtime of runtimes) {
      const own = servers.filter((s) => ONLY_ON[s] === undefined || ONLY_ON[s].includes(runtime));
      const fresh = cases.filter((name) => FRESH_CASES.includes(name));
      if (fresh.length > 0) await freshCases(runtime, own, fresh, settings, nextPort, tally);
      // The HTTP/2 case has server processes of its own (node:http2 speaks no HTTP/1.1).
      for (const h2 of [false, true]) {
        const load = cases.filter((name) => !FRESH_CASES.includes(name) && (name === "h2") === h2);
        if (load.length === 0) continue;
        await loadCases(runtime, own, load, h2, settings, files, nextPort, tally);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const { results, failures } = tally;
  const judged = judgeTargets(results);
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `\n${table(results)}\n\n${ratioTable(results)}${missingNotes(results)}\n\nTargets:\n\n${
      targetTable(judged)
    }\n\n(${seconds.toFixed(0)} s)`,
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
      targets: judged,
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
