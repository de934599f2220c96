/**
 * Worker-mode benchmark: `serve({ workers: 1 | 2 })` against single-thread
 * `serve()`, on Deno (with and without `--unstable-net`, which `reusePort`
 * needs), Bun and Node, with two handlers:
 *
 * - `hello`: `Hello, World!` at once;
 * - `cpu`: 0.2 ms of synchronous work per request (a busy loop on
 *   `performance.now()`), then the same answer.
 *
 *   deno run -A scripts/bench/workers.ts [--seconds=2] [--rounds=3]
 *     [--runtime=deno,deno-unstable-net,bun,node]
 *     [--pinning=split,shared] [--handler=hello,cpu] [--out=docs/bench] [--no-build]
 *
 * Load: `wrk -t1 -c64`. The three servers of a case (single-thread, 1 and
 * 2 workers, one process each) start side by side, each gets one
 * unrecorded second, then they take turns for `--rounds` rounds of
 * `--seconds` each (defaults 3 and 2), and the best round counts: load from
 * other programs only ever lowers a figure, and taking turns spreads it
 * over the three alike. Pinning (the
 * development machine has 2 cores):
 *
 * - `split`: the server (every thread of it) on core 0, wrk on core 1. The
 *   load generator never steals the server's core, so this shows what the
 *   thread hop costs; worker mode cannot gain here, and 2 workers + the
 *   main thread oversubscribe one core.
 * - `shared`: the server on both cores, wrk still on core 1. Worker mode can
 *   now put the main thread and a worker on different cores, but they
 *   compete with wrk for core 1 (2 workers + main + wrk = 4 busy threads
 *   on 2 cores).
 *
 * Each worker-mode server first reports how many workers accept (a
 * `WorkerPool` probe with the same options, read from `stats().workers`):
 * the port is shared with `reusePort`, which Bun on Linux has, Deno only
 * with `--unstable-net`, and Node 20 lacks (one worker accepts).
 *
 * Node runs the npm build, made first into `$HUSSAR_NPM_OUT` (default
 * `.build/bench-workers`; skip with `--no-build`). Prints req/s and the
 * ratios to single-thread, and writes `workers.json` into `--out`
 * (default `docs/bench`; not written when a filter narrows the run unless
 * `--out` is given).
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { dirname, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { serve } from "../../mod.ts";
import { WorkerPool } from "../../workers/mod.ts";
import { wrk, type WrkResult } from "./_load.ts";
import { binary, list, option } from "./_args.ts";
import { buildForNode } from "./_node_build.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..");
const HOSTNAME = "127.0.0.1";
const CPU_WORK_MS = 0.2;
const CONNECTIONS = 64;
const RUNTIMES = ["deno", "deno-unstable-net", "bun", "node"] as const;
const PINNINGS = ["split", "shared"] as const;
const HANDLERS = ["hello", "cpu"] as const;
/** Worker counts; 0 is single-thread `serve()`. */
const MODES = [0, 1, 2] as const;
const SERVER_CPUS: Record<Pinning, string> = { split: "0", shared: "0,1" };
const LOAD_CPUS = "1";

type Pinning = typeof PINNINGS[number];
type HandlerName = typeof HANDLERS[number];

/** One server configuration under load. */
interface WorkersResult {
  runtime: string;
  pinning: Pinning;
  handler: HandlerName;
  /** 0: single-thread serve(). */
  workers: number;
  /** Workers that accept connections (worker mode only). */
  acceptingWorkers?: number;
  /** The best of the rounds, with its latencies. */
  requestsPerSecond: number;
  /**
   * The server's CPU time (all its threads) per request, median of the
   * rounds, in µs: what a request costs, however busy the machine was.
   */
  cpuUsPerRequest: number;
  /** req/s of each round. */
  rounds: number[];
  p50Ms: number;
  p99Ms: number;
  /** wrk's socket errors and non-2xx answers, if any (the figure is then suspect). */
  errors: string[];
  /** requestsPerSecond over the single-thread figure of the same runtime, pinning and handler. */
  overSingle?: number;
}

const HELLO = "Hello, World!";
/** Linux clock ticks per second (`getconf CLK_TCK`), the unit of /proc/<pid>/stat times. */
const CLOCK_TICKS = 100;

/** One wrk run, with the server's CPU time per request during it. */
type Sample = WrkResult & { cpuUsPerRequest: number };

/** CPU time (user + system, every thread) the process has used, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function handlerOf(name: HandlerName): () => Response {
  if (name === "hello") return () => new Response(HELLO);
  return () => {
    const until = performance.now() + CPU_WORK_MS;
    while (performance.now() < until) {
      // burn the main thread, as a handler doing real work would
    }
    return new Response(HELLO);
  };
}

// ------------------------------------------------------------ server side

/** How many workers of a pool like the server's accept, on this runtime and its flags. */
async function acceptingWorkers(workers: number): Promise<number> {
  const pool = new WorkerPool({ workers, hostname: HOSTNAME, port: 0 });
  await pool.listen((shuttle) => shuttle.abort("probe only"));
  const accepting = pool.stats().workers;
  await pool.shutdown();
  return accepting;
}

/** `--serve`: one server until killed; prints `ready <port> <accepting workers>`. */
async function serveMode(): Promise<void> {
  const workers = Number(option("workers") ?? "0");
  const handler = handlerOf((option("handler") ?? "hello") as HandlerName);
  const port = Number(option("port") ?? "8000");
  const accepting = workers > 0 ? await acceptingWorkers(workers) : 0;
  const server = serve({ port, hostname: HOSTNAME, workers, onListen() {} }, handler);
  await server.ready;
  process.on("SIGINT", () => process.exit(0));
  process.stdout.write(`ready ${port} ${accepting}\n`);
}

// ------------------------------------------------------------- the driver

function serverCommand(runtime: string, nodeOut: string, args: string[]): string[] {
  const script = fileURLToPath(import.meta.url);
  switch (runtime) {
    case "deno":
      return [binary("deno"), "run", "-A", script, ...args];
    case "deno-unstable-net":
      return [binary("deno"), "run", "-A", "--unstable-net", script, ...args];
    case "bun":
      return [binary("bun"), script, ...args];
    default:
      return ["node", join(ROOT, nodeOut, "esm", "scripts", "bench", "workers.js"), ...args];
  }
}

/** Starts a server process; resolves with its `ready` line's figures. */
function startServer(command: string[]): Promise<{ child: ChildProcess; accepting: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no "ready" in 30 s: ${err}`));
    }, 30_000);
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      out += text;
      const match = /^ready (\d+) (\d+)$/m.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve({ child, accepting: Number(match[2]) });
      }
    });
    child.stderr!.setEncoding("utf8").on("data", (text: string) => {
      err = (err + text).slice(-4000);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before "ready": ${err}`));
    });
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

function thousands(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function table(results: WorkersResult[], pinning: Pinning): string {
  const rows = [["runtime", "handler", "single-thread", "1 worker", "2 workers", "accepting"]];
  const mine = results.filter((r) => r.pinning === pinning);
  const keys = [...new Set(mine.map((r) => `${r.runtime} ${r.handler}`))];
  for (const key of keys) {
    const [runtime, handler] = key.split(" ");
    const cell = (workers: number): string => {
      const r = mine.find((x) =>
        x.runtime === runtime && x.handler === handler && x.workers === workers
      );
      if (r === undefined) return "-";
      const ratio = r.overSingle === undefined ? "" : ` (${r.overSingle.toFixed(2)}x)`;
      return `${thousands(r.requestsPerSecond)}${ratio}, ${r.cpuUsPerRequest.toFixed(0)} µs${
        r.errors.length > 0 ? " !" : ""
      }`;
    };
    const two = mine.find((x) => x.runtime === runtime && x.handler === handler && x.workers === 2);
    rows.push([
      runtime,
      handler,
      cell(0),
      cell(1),
      cell(2),
      two?.acceptingWorkers === undefined ? "-" : `${two.acceptingWorkers} of 2`,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]): string =>
    `| ${row.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [
    `pinning "${pinning}": server on core(s) ${SERVER_CPUS[pinning]}, wrk on core ${LOAD_CPUS}` +
    ` (best req/s of the rounds, ratio to single-thread, server CPU µs per request` +
    ` (median); "!" = wrk reported errors)`,
    line(rows[0]),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.slice(1).map(line),
  ].join("\n");
}

async function main(): Promise<void> {
  const seconds = Number(option("seconds") ?? "2");
  const rounds = Number(option("rounds") ?? "3");
  const runtimes = list("runtime", RUNTIMES);
  const pinnings = list("pinning", PINNINGS);
  const handlers = list("handler", HANDLERS);
  const filtered = ["runtime", "pinning", "handler"].some((name) => option(name) !== undefined);
  const outDir = option("out") ?? (filtered ? undefined : join(ROOT, "docs", "bench"));
  const nodeOut = process.env.HUSSAR_NPM_OUT ?? ".build/bench-workers";
  if (runtimes.includes("node") && !process.argv.includes("--no-build")) {
    await buildForNode(nodeOut);
  }
  const started = Date.now();
  const results: WorkersResult[] = [];
  let nextPort = 18_400;
  for (const pinning of pinnings) {
    for (const runtime of runtimes) {
      for (const handler of handlers) {
        // The three servers of a case run side by side (idle ones cost nothing) and take turns
        // under load, round after round: a change in the machine's load hits all of them alike.
        const servers: { workers: number; port: number; child: ChildProcess; accepting: number }[] =
          [];
        try {
          for (const workers of MODES) {
            const port = nextPort++;
            const args = [
              "--serve",
              `--workers=${workers}`,
              `--handler=${handler}`,
              `--port=${port}`,
            ];
            const started = await startServer([
              "taskset",
              "-c",
              SERVER_CPUS[pinning],
              ...serverCommand(runtime, nodeOut, args),
            ]);
            servers.push({ workers, port, ...started });
          }
          const load = (port: number) => ({
            url: `http://${HOSTNAME}:${port}/`,
            connections: CONNECTIONS,
            cpus: LOAD_CPUS,
          });
          for (const server of servers) await wrk({ ...load(server.port), seconds: 1 }); // warm-up
          const samples = new Map<number, Sample[]>(MODES.map((workers) => [workers, []]));
          for (let round = 0; round < rounds; round++) {
            for (const server of servers) {
              const before = cpuTicks(server.child.pid!);
              const w = await wrk({ ...load(server.port), seconds });
              const cpuUs = (cpuTicks(server.child.pid!) - before) * (1e6 / CLOCK_TICKS);
              samples.get(server.workers)!.push({ ...w, cpuUsPerRequest: cpuUs / w.requests });
            }
          }
          for (const server of servers) {
            const runs = samples.get(server.workers)!;
            // Best of the rounds: load from elsewhere only ever lowers a figure.
            const best = runs.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
            const single = results.find((r) =>
              r.pinning === pinning && r.runtime === runtime && r.handler === handler &&
              r.workers === 0
            );
            const errors = runs.flatMap((run) => run.errors);
            results.push({
              runtime,
              pinning,
              handler,
              workers: server.workers,
              acceptingWorkers: server.workers > 0 ? server.accepting : undefined,
              requestsPerSecond: best.requestsPerSecond,
              cpuUsPerRequest: median(runs.map((run) => run.cpuUsPerRequest)),
              p50Ms: best.p50Ms,
              p99Ms: best.p99Ms,
              rounds: runs.map((run) => Math.round(run.requestsPerSecond)),
              errors,
              overSingle: server.workers > 0 && single !== undefined
                ? best.requestsPerSecond / single.requestsPerSecond
                : undefined,
            });
            console.log(
              `${pinning} ${runtime} ${handler} workers=${server.workers}: ${
                runs.map((run) =>
                  `${thousands(run.requestsPerSecond)} (${run.cpuUsPerRequest.toFixed(0)} µs)`
                ).join(", ")
              } req/s (CPU/req)${server.workers > 0 ? `, ${server.accepting} accepting` : ""}${
                errors.length > 0 ? ` (${errors.join("; ")})` : ""
              }`,
            );
          }
        } finally {
          for (const server of servers) await stopServer(server.child);
        }
      }
    }
  }
  console.log("");
  for (const pinning of pinnings) console.log(`${table(results, pinning)}\n`);
  console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  if (outDir !== undefined) {
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, "workers.json");
    writeFileSync(
      file,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          command: `deno run -A scripts/bench/workers.ts --seconds=${seconds} --rounds=${rounds}`,
          machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? "", kernel: release() },
          settings: {
            seconds,
            rounds,
            warmupSeconds: 1,
            connections: CONNECTIONS,
            cpuWorkMs: CPU_WORK_MS,
            serverCpus: SERVER_CPUS,
            loadCpus: LOAD_CPUS,
          },
          results,
        },
        null,
        2,
      ) + "\n",
    );
    console.log(`wrote ${relative(ROOT, file)}`);
  }
}

if (process.argv.includes("--serve")) await serveMode();
else await main();
