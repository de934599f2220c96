/**
 * What the engine benchmarks (`engine.ts`, `engine_h2.ts`) share:
 * in-memory connections, a transport the core reads and writes directly
 * with no socket and no Web stream in between, and the deadlines they run
 * with.
 *
 * @module
 */
import process from "node:process";
import { getHeapStatistics } from "node:v8";
import type { Hussar } from "../../core/hussar.ts";
import type { Transport } from "../../core/transport.ts";
import {
  DIRECT_SINK,
  DIRECT_SOURCE,
  type DirectSink,
  type DirectSource,
} from "../../internal/direct_io.ts";

const ADDRESS = { transport: "tcp", hostname: "127.0.0.1", port: 8080 } as const;

/**
 * A transport over a source and a sink alone (its Web streams throw if asked
 * for). A class, not an object literal: a literal with getters gets a map of
 * its own per object, in old space, which keeps each connection's young
 * objects alive through scavenges (and the benchmark would measure that).
 */
class DirectTransport implements Transport {
  readonly info = INFO;
  readonly #source: DirectSource;
  readonly #sink: DirectSink;

  constructor(source: DirectSource, sink: DirectSink) {
    this.#source = source;
    this.#sink = sink;
  }

  get readable(): never {
    throw new Error("read directly");
  }

  get writable(): never {
    throw new Error("written directly");
  }

  [DIRECT_SOURCE](): DirectSource {
    return this.#source;
  }

  [DIRECT_SINK](): DirectSink {
    return this.#sink;
  }
}

const INFO = { remoteAddr: ADDRESS, localAddr: ADDRESS, tls: false };

/** A transport over `source` and `sink` alone (its Web streams throw if asked for). */
export function directTransport(source: DirectSource, sink: DirectSink): Transport {
  return new DirectTransport(source, sink);
}

/**
 * The default limits and deadlines, or with `--slow` (for runs under
 * valgrind, where compiling a first burst of code may take seconds) the
 * same deadlines stretched a hundredfold: still armed, moved and cancelled
 * as often, so they cost the same.
 */
export const TIMEOUTS = process.argv.includes("--slow")
  ? {
    headersTimeoutMs: 3_000_000,
    bodyTimeoutMs: 3_000_000,
    keepAliveTimeoutMs: 500_000,
    requestTimeoutMs: 6_000_000,
    writeTimeoutMs: 6_000_000,
  }
  : {};

/**
 * Bytes the heap allocated since the start (V8's `total_allocated_bytes`, a
 * counter: no collection), or null where the runtime does not count them.
 */
export function allocated(): number | null {
  // Bun's node:v8 answers with a figure that is not a count of bytes allocated.
  if ("Bun" in globalThis) return null;
  return (getHeapStatistics() as { total_allocated_bytes?: number }).total_allocated_bytes ?? null;
}

/**
 * What a run cost per unit (a request, a connection, an upload): µs of CPU,
 * bytes allocated (null: not counted).
 */
export interface Cost {
  micros: number;
  bytes: number | null;
}

/** The counts a run's cost is measured from. */
export interface Mark {
  cpu: ReturnType<typeof process.cpuUsage>;
  heap: number | null;
}

/** What a run of `total` cost since `started`. */
export function costSince(started: Mark, total: number): Cost {
  const used = process.cpuUsage(started.cpu);
  const heap = allocated();
  return {
    micros: (used.user + used.system) / total,
    bytes: heap === null || started.heap === null ? null : (heap - started.heap) / total,
  };
}

/** The counts now, to measure a run from. */
export function start(): Mark {
  return { heap: allocated(), cpu: process.cpuUsage() };
}

/**
 * Serves `total` answers over `connections` in-memory connections made by
 * `client(more, closed)` (`more()`: one answer came, whether to ask again;
 * `closed()`: the engine ended the connection) and says what they cost;
 * then closes `hussar`.
 */
export async function served(
  hussar: Hussar,
  connections: number,
  total: number,
  client: (more: () => boolean, closed: () => void) => Transport,
): Promise<Cost> {
  let answered = 0;
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const started = start();
  for (let i = 0; i < connections; i++) {
    hussar.addConnection(client(() => {
      if (++answered === total) finish();
      return answered <= total - connections;
    }, () => {
      if (answered < total) fail(new Error(`a connection closed after ${answered} responses`));
    }));
  }
  await finished;
  const cost = costSince(started, total);
  await hussar.close();
  return cost;
}
