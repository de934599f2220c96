/**
 * Slowloris figures: a normal client's latency (sequential keep-alive
 * requests) without, then with, many slow clients that send one byte of
 * their request head per second. The server runs in a child process of the
 * same runtime with its default limits (30 s headers deadline), so the slow
 * clients stay for the whole measurement.
 *
 *   deno run -A scripts/slowloris.ts [--slow=1000] [--requests=500]
 *   bun scripts/slowloris.ts [...]
 *
 * @module
 */
import { spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { serve } from "../serve/mod.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const arg = args.findLast((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : Number(arg.slice(name.length + 3));
};

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.setNoDelay(true);
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      socket.on("error", () => {});
      resolve(socket);
    });
  });
}

/** Latencies in ms of `n` sequential requests on one keep-alive connection. */
async function measure(port: number, n: number): Promise<number[]> {
  const socket = await open(port);
  const times: number[] = [];
  let waiter: (() => void) | null = null;
  let received = "";
  socket.setEncoding("latin1");
  socket.on("data", (text: string) => {
    received += text;
    if (received.endsWith("hello")) {
      received = "";
      waiter?.();
    }
  });
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await new Promise<void>((resolve) => {
      waiter = resolve;
      socket.write("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    });
    times.push(performance.now() - start);
  }
  socket.destroy();
  return times;
}

function summary(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number): string =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
      .toFixed(2);
  return `median ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${sorted.at(-1)!.toFixed(2)} ms`;
}

async function main(): Promise<void> {
  const slowCount = option("slow", 1000);
  const requests = option("requests", 500);
  const script = fileURLToPath(import.meta.url);
  const runtimeArgs = "Deno" in globalThis ? ["run", "-A", script] : [script];
  const child = spawn(process.execPath, [...runtimeArgs, "--server"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      out += text;
      const match = /port (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
  });
  await measure(port, 100); // warm-up
  console.log(`without slow clients: ${summary(await measure(port, requests))}`);
  const head = "GET / HTTP/1.1\r\nHost: h\r\nX-Slow: " + "a".repeat(200);
  const slow: Socket[] = [];
  for (let i = 0; i < slowCount; i += 100) {
    slow.push(
      ...await Promise.all(Array.from({ length: Math.min(100, slowCount - i) }, () => open(port))),
    );
  }
  let sent = 0;
  const drip = (): void => {
    for (const socket of slow) socket.write(head[sent % head.length]);
    sent++;
  };
  drip();
  const timer = setInterval(drip, 1000);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  console.log(
    `with ${slowCount} slow clients (one byte per second each): ` +
      summary(await measure(port, requests)),
  );
  clearInterval(timer);
  for (const socket of slow) socket.destroy();
  child.kill("SIGTERM");
}

if (args.includes("--server")) {
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: (addr) => console.log(`port ${addr.port}`),
  }, () => new Response("hello"));
  process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
  await server.finished;
} else {
  await main();
}
