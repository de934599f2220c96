/**
 * Scheduler micro-benchmark: signals resumed per second for
 * - a ping-pong of two threads (every signal is pushed during a turn, so
 *   each round trip costs two turns), and
 * - 10,000 threads each woken once (one wide turn).
 *
 * Run: `deno run scripts/bench/scheduler.ts`, `bun scripts/bench/scheduler.ts`,
 * or on Node against the npm build: `node npm/esm/scripts/bench/scheduler.js`
 * (see README). Prints one JSON line per case. `--round-trips=N` sets the
 * ping-pong's measured round trips (default 500,000): instructions per turn
 * under callgrind are the difference of two runs at N and 2N, over 2N.
 */
import { Scheduler, type Signal, type Thread } from "../../scheduler/mod.ts";
import { option } from "./_args.ts";

interface Result {
  case: string;
  runtime: string;
  signals: number;
  ms: number;
  signalsPerSecond: number;
}

function runtimeName(): string {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  return g.Deno ? "deno" : g.Bun ? "bun" : "node";
}

async function pingPong(roundTrips: number): Promise<Result> {
  const scheduler = new Scheduler({ maxTurnsPerTick: 1024 });
  let resumes = 0;
  scheduler.watch({ onResume: () => resumes++ });
  const pong: Thread = scheduler.spawn(function* () {
    for (;;) {
      const ping: Signal = yield;
      if (ping.kind === "stop") return;
      scheduler.push({ target: ping.source as Thread, kind: "pong" });
    }
  });
  const started = performance.now();
  scheduler.spawn(function* () {
    for (let i = 0; i < roundTrips; i++) {
      scheduler.push({ target: pong, kind: "ping" });
      yield;
    }
    scheduler.push({ target: pong, kind: "stop" });
  });
  await scheduler.run();
  const ms = performance.now() - started;
  return {
    case: "ping-pong",
    runtime: runtimeName(),
    signals: resumes,
    ms,
    signalsPerSecond: resumes / (ms / 1000),
  };
}

async function wideWake(threads: number): Promise<Result> {
  const scheduler = new Scheduler();
  const parked: Thread[] = [];
  for (let i = 0; i < threads; i++) {
    parked.push(scheduler.spawn(function* () {
      yield;
    }));
  }
  await scheduler.run(); // every thread has started and parked
  const started = performance.now();
  for (const thread of parked) scheduler.push({ target: thread, kind: "wake" });
  await scheduler.run();
  const ms = performance.now() - started;
  if (scheduler.threadCount !== 0) throw new Error("threads left alive");
  return {
    case: "10k-wake-once",
    runtime: runtimeName(),
    signals: threads,
    ms,
    signalsPerSecond: threads / (ms / 1000),
  };
}

// Warm up the JIT, then measure.
await pingPong(20_000);
await wideWake(10_000);
const roundTrips = Number(option("round-trips") ?? 500_000);
for (const result of [await pingPong(roundTrips), await wideWake(10_000)]) {
  console.log(
    JSON.stringify({
      ...result,
      ms: Math.round(result.ms * 10) / 10,
      signalsPerSecond: Math.round(result.signalsPerSecond),
    }),
  );
}
