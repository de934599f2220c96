/**
 * The long soak: millions of keep-alive requests over many connections, with
 * a mix of methods, bodies and pipelining, every response checked. The
 * server runs in a child process of the same runtime, so its resident
 * memory is measured alone: it is printed after each quarter of the
 * requests, and the run fails on any error or if the last quarter's RSS is
 * more than 10% above the second quarter's.
 *
 *   deno run -A scripts/soak.ts [--requests=2000000] [--connections=64]
 *   bun scripts/soak.ts [...]
 *   node .build/<you>/esm/scripts/soak.js [...]   (after the npm build)
 *
 * @module
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { serve } from "../serve/mod.ts";
import { runSoak, soakHandler } from "./_soak_client.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const arg = args.findLast((a) => a.startsWith(`--${name}=`));
  const value = arg === undefined ? fallback : Number(arg.slice(name.length + 3));
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`soak: --${name} must be a positive integer`);
    process.exit(2);
  }
  return value;
};

function runtimeName(): string {
  const g = globalThis as { Deno?: unknown; Bun?: { version: string } };
  if (g.Deno !== undefined) return `deno ${(g.Deno as { version: { deno: string } }).version.deno}`;
  if (g.Bun !== undefined) return `bun ${g.Bun.version}`;
  return `node ${process.version}`;
}

/** Resident memory of process `pid` in MiB (Linux). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kib / 1024;
}

async function serverMode(): Promise<void> {
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: (addr) => console.log(`port ${addr.port}`),
  }, soakHandler);
  process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
  await server.finished;
}

/** Starts this script as the server in a child of the same runtime; resolves with its pid and port. */
function startServer(): Promise<{ pid: number; port: number; stop(): void }> {
  const script = fileURLToPath(import.meta.url);
  const runtimeArgs = "Deno" in globalThis ? ["run", "-A", script] : [script];
  const child = spawn(process.execPath, [...runtimeArgs, "--server"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the soak server exited (${code})`)));
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      out += text;
      const match = /port (\d+)/.exec(out);
      if (match) {
        resolve({ pid: child.pid!, port: Number(match[1]), stop: () => child.kill("SIGTERM") });
      }
    });
  });
}

async function main(): Promise<void> {
  const requests = option("requests", 2_000_000);
  const connections = option("connections", 64);
  const server = await startServer();
  console.log(
    `soak on ${runtimeName()}: ${requests} requests over ${connections} keep-alive connections ` +
      `(GET, HEAD, POST, chunked PUT, DELETE; pipelined 1 to 4 deep); server pid ${server.pid}`,
  );
  const rss: number[] = [];
  console.log(`server RSS at start: ${rssMiB(server.pid).toFixed(1)} MiB`);
  let last = performance.now();
  const result = await runSoak({
    port: server.port,
    requests,
    connections,
    onQuarter: (quarter) => {
      rss[quarter] = rssMiB(server.pid);
      const now = performance.now();
      const rate = requests / 4 / ((now - last) / 1000);
      last = now;
      console.log(
        `quarter ${quarter}: server RSS ${rss[quarter].toFixed(1)} MiB, ${rate.toFixed(0)} req/s`,
      );
    },
  });
  server.stop();
  console.log(
    `answered ${result.answered} of ${requests} in ${result.seconds.toFixed(1)} s ` +
      `(${(result.answered / result.seconds).toFixed(0)} req/s), errors: ${result.errors}`,
  );
  for (const sample of result.samples) console.log(`  error: ${sample}`);
  const growth = rss[4] !== undefined && rss[2] !== undefined ? rss[4] / rss[2] - 1 : NaN;
  console.log(`RSS last quarter vs second: ${(growth * 100).toFixed(1)}% (limit +10%)`);
  const ok = result.errors === 0 && result.answered === requests && growth <= 0.1;
  console.log(ok ? "soak: PASS" : "soak: FAIL");
  process.exit(ok ? 0 : 1);
}

if (args.includes("--server")) await serverMode();
else await main();
