/**
 * Slowloris figures: a normal client's latency (sequential keep-alive
 * requests) without, then with, many slow clients that send one byte of
 * their request head per second, and what the slow clients cost the server
 * in memory: its heap (after a full collection, from the runtime's heap
 * statistics) and RSS before they come, while they drip, and once they have
 * closed (what is not given back). The server is a benchmark contender
 * (`bench/_server.ts`: hussar's `serve()` or the runtime's native server) in
 * a child process of the same runtime, with its default limits (30 s
 * headers deadline), so the slow clients stay for the whole measurement.
 *
 *   deno run -A scripts/slowloris.ts [--server=hussar|native] [--slow=1000] [--requests=500]
 *   bun scripts/slowloris.ts [...]
 *   node .build/<npm build>/esm/scripts/slowloris.js [...]   (the npm build, scripts/build_npm.ts)
 *
 * @module
 */
import { connect, type Socket } from "node:net";
import process from "node:process";
import { Contender, freePort } from "./bench/_contender.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const arg = args.findLast((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : arg.slice(name.length + 3);
};
/** The benchmark routes' `GET /` body, the end of each response. */
const HELLO = "Hello, World!";

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
    if (received.endsWith(HELLO)) {
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
  const slowCount = Number(option("slow", "1000"));
  const requests = Number(option("requests", "500"));
  const port = await freePort();
  const server = Contender.server(option("server", "hussar"), port);
  try {
    await server.line("ready ");
    await measure(port, 100); // warm-up
    console.log(`without slow clients: ${summary(await measure(port, requests))}`);
    const before = await server.memory();
    const head = "GET / HTTP/1.1\r\nHost: h\r\nX-Slow: " + "a".repeat(200);
    const slow: Socket[] = [];
    for (let i = 0; i < slowCount; i += 100) {
      slow.push(
        ...await Promise.all(
          Array.from({ length: Math.min(100, slowCount - i) }, () => open(port)),
        ),
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
    const during = await server.memory();
    clearInterval(timer);
    for (const socket of slow) socket.destroy();
    // The server sees the resets at once; give it a moment to drop what it held.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const gone = await server.memory();
    const per = (kib: number): string => `${((kib * 1024) / slowCount).toFixed(0)} B`;
    console.log(
      `memory per slow client (${sent} bytes each): heap ${per(during.heap - before.heap)}, ` +
        `RSS ${per(during.rss - before.rss)}; left after they closed: ` +
        `heap ${per(gone.heap - before.heap)}, RSS ${per(gone.rss - before.rss)} ` +
        `(heap ${before.heap.toFixed(0)} KiB, RSS ${before.rss} KiB before)`,
    );
  } finally {
    server.stop();
  }
}

await main();
