import { BODY, BODY_ERROR, CONTINUE, DONE, GONE } from "./_shuttle_slots.ts";
import type { ShuttleSource } from "../core/shuttle.ts";
import type { NetAddress } from "../core/transport.ts";
import { spawnWorker, type WorkerHandle } from "./_port.ts";
import type { HttpServerOptions } from "../httputil/server.ts";
import type { FromWorker, WorkerInit, WorkerThreadStats } from "./_protocol.ts";
import { Shuttle } from "./shuttle.ts";
import { ListenError } from "../sources/errors.ts";
import { type Logger, resolveLogger } from "../internal/logger.ts";

export type { WorkerThreadStats } from "./_protocol.ts";

/**
 * The HTTP engine options a worker applies: those of `httpHandler` that can
 * cross to a thread (functions and signals cannot).
 *
 * @example
 * ```ts
 * import type { WorkerHttpOptions } from "@hussar/core/workers";
 * const http: WorkerHttpOptions = { maxBodyBytes: 1024 * 1024, keepAliveTimeoutMs: 10_000 };
 * console.log(http.maxBodyBytes); // 1048576
 * ```
 */
export type WorkerHttpOptions = Omit<HttpServerOptions, "onError" | "shutdown" | "logger">;

/** Options of a {@linkcode WorkerPool}. */
export interface WorkerPoolOptions {
  /**
   * Worker threads that own the sockets, parse and serialise (at least 1).
   * On Deno they load hussar's modules from its files: from local files,
   * that takes `--allow-read`.
   */
  workers: number;
  /** Address to listen on (default "0.0.0.0"). */
  hostname?: string;
  /** TCP port (default 8000; 0 picks a free one, shared by every worker). */
  port?: number;
  /** Listen on this Unix socket instead of TCP (then one worker accepts). */
  path?: string;
  /** Serve HTTPS with this PEM certificate and key. */
  tls?: { cert: string; key: string };
  /** The HTTP engine's limits and timeouts, applied in each worker. */
  http?: WorkerHttpOptions;
  /**
   * HTTP/2 as well as HTTP/1.1 (default true): TLS offers ALPN `h2` first,
   * a cleartext connection opening with the preface speaks HTTP/2, and each
   * stream is a shuttle (`head.version` "2"). `false`: HTTP/1.1 only.
   */
  http2?: boolean;
  /** Shuttles in flight per worker beyond which it stops reading requests (default 1024). */
  maxInFlight?: number;
  /** Connections per worker beyond which new ones are closed at once (default 10,000). */
  maxConnections?: number;
  /**
   * Where the pool and its workers report (`false`: nowhere): workers not
   * accepting, restarts, and what each worker's server says. Default: the
   * console.
   */
  logger?: Logger | false;
}

/**
 * Counts of a {@linkcode WorkerPool}, for tests and metrics.
 *
 * @example
 * ```ts
 * import type { WorkerPoolStats } from "@hussar/core/workers";
 * const stats: WorkerPoolStats = { workers: 1, restarting: 1, shuttles: 0, restarts: 0, failedRestarts: 3 };
 * console.log(stats.restarting > 0 ? "a worker is down" : "all up"); // a worker is down
 * ```
 */
export interface WorkerPoolStats {
  /** Workers accepting connections. */
  workers: number;
  /** Workers that failed and are not accepting yet: their restart is under way or waits its turn. */
  restarting: number;
  /** Shuttles handed to the main thread and not yet finished. */
  shuttles: number;
  /** Workers started again (listening again) after they failed. */
  restarts: number;
  /** Restarts that could not listen (each is tried again, later and later). */
  failedRestarts: number;
}

interface WorkerSlot {
  index: number;
  handle: WorkerHandle | null;
  /** Said "listening" and has not exited: accepting connections. */
  listening: boolean;
  shuttles: Map<number, Shuttle>;
  /** Resolves when the worker has stopped (or died). */
  stopped: Promise<void>;
  onStopped: () => void;
  /** Callers of `workerStats()` waiting for this worker's answer, in order. */
  statsWaiters: ((stats: WorkerThreadStats | null) => void)[];
}

const DEFAULT_MAX_IN_FLIGHT = 1024;
const DEFAULT_MAX_CONNECTIONS = 10_000;
/** A restart that cannot listen is tried again after this, doubled each time up to the cap. */
const RESTART_BACKOFF_MS = 100;
const RESTART_BACKOFF_MAX_MS = 5_000;

/**
 * The worker side of worker mode (Tarantool httpng's design): N worker
 * threads listen on one port (with `reusePort` where the runtime has it,
 * else one worker accepts), read and parse requests and write responses;
 * each request comes to the main thread as a {@linkcode Shuttle}. A worker
 * that fails loses its connections and is started again; if the new one
 * cannot listen (the port was taken meanwhile), it is tried again with
 * backoff until it can, and {@linkcode WorkerPool.stats} counts it as
 * `restarting`.
 *
 * Attach it to a core with `hussar.attachShuttles(pool, handler)`, or use
 * `serve({ workers: N })`.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { WorkerPool } from "@hussar/core/workers";
 * const pool = new WorkerPool({ workers: 2, hostname: "127.0.0.1", port: 0 });
 * const hussar = new Hussar({ handler() { throw new Error("the workers own the connections"); } });
 * await hussar.attachShuttles(pool, async (shuttle) => {
 *   shuttle.respond({ status: 200, headers: [] }, `worker ${shuttle.worker} parsed it`);
 * });
 * const { port } = pool.addr as { port: number };
 * console.log((await fetch(`http://127.0.0.1:${port}/`)).status); // 200
 * await pool.shutdown();
 * await hussar.close();
 * ```
 */
export class WorkerPool implements ShuttleSource<Shuttle> {
  readonly #options: WorkerPoolOptions;
  readonly #logger: Logger;
  readonly #slots: WorkerSlot[] = [];
  #accept: ((shuttle: Shuttle) => void) | null = null;
  #addr: NetAddress | null = null;
  #nextId = 1;
  #restarts = 0;
  #failedRestarts = 0;
  /** Workers down after a failure, by index: the timer of their next restart, or null while one runs. */
  readonly #restarting = new Map<number, ReturnType<typeof setTimeout> | null>();
  #stopping: "no" | "graceful" | "forced" = "no";

  /** Checks the options; nothing starts until {@linkcode WorkerPool.listen}. */
  constructor(options: WorkerPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new RangeError(`workers must be a positive integer, not ${options.workers}`);
    }
    for (const name of ["maxInFlight", "maxConnections"] as const) {
      const value = options[name];
      if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
        throw new RangeError(`${name} must be a positive integer, not ${value}`);
      }
    }
    this.#options = options;
    this.#logger = resolveLogger(options.logger);
  }

  /**
   * Starts the workers and resolves once they listen. The first worker
   * binds the address; the others join it with `reusePort`. Where the
   * runtime cannot share the port (Node before 22.12, Deno without
   * `--unstable-net`, a Unix socket), the first worker alone accepts, and a
   * line on stderr says so.
   */
  async listen(accept: (shuttle: Shuttle) => void): Promise<void> {
    if (this.#accept !== null) throw new Error("the pool is already listening");
    this.#accept = accept;
    const share = this.#options.workers > 1 && this.#options.path === undefined;
    const first = await this.#start(0, this.#options.port ?? 8000, share);
    if (first.type === "listen-failed") {
      await this.#stopAll("forced");
      const { hostname = "0.0.0.0", port = 8000, path } = this.#options;
      throw new ListenError(first.message, {
        code: first.code ?? "UNKNOWN",
        ...(path === undefined ? { hostname, port } : { path }),
      });
    }
    this.#addr = first.addr;
    if (share && first.addr.transport === "tcp") {
      for (let index = 1; index < this.#options.workers; index++) {
        const joined = await this.#start(index, first.addr.port, true);
        if (joined.type === "listen-failed") {
          // The port cannot be shared here: the first worker serves alone.
          this.#slots.pop();
          break;
        }
      }
    }
    if (this.#slots.length < this.#options.workers && this.#stopping === "no") {
      const why = this.#options.path !== undefined
        ? "one accepts on a Unix socket"
        : "this runtime cannot share a port between threads (reusePort: Bun or Node 22.12+ on Linux, Deno with --unstable-net)";
      this.#logger.warn(
        `${this.#slots.length} of ${this.#options.workers} workers accept connections: ${why}`,
      );
    }
  }

  /** The address listened on. Throws until {@linkcode WorkerPool.listen} has resolved. */
  get addr(): NetAddress {
    if (this.#addr === null) throw new Error("the pool is not listening yet");
    return this.#addr;
  }

  /** Workers accepting, workers being restarted, shuttles in flight, restarts. */
  stats(): WorkerPoolStats {
    let shuttles = 0;
    let workers = 0;
    for (const slot of this.#slots) {
      shuttles += slot.shuttles.size;
      if (slot.listening) workers++;
    }
    return {
      workers,
      restarting: this.#restarting.size,
      shuttles,
      restarts: this.#restarts,
      failedRestarts: this.#failedRestarts,
    };
  }

  /**
   * Asks every worker what it holds (slots, connections, threads, timers):
   * after the traffic is over, all but the core's managing thread should be
   * zero. A worker that is not running answers `null`.
   */
  workerStats(): Promise<(WorkerThreadStats | null)[]> {
    return Promise.all(
      this.#slots.map((slot) =>
        new Promise<WorkerThreadStats | null>((resolve) => {
          if (slot.handle === null) return resolve(null);
          slot.statsWaiters.push(resolve);
          slot.handle.post({ type: "stats" });
        })
      ),
    );
  }

  /**
   * Ends worker `index` at once, as a crash would: its connections fail,
   * their shuttles' signals abort, and the pool starts it again.
   */
  terminateWorker(index: number): void {
    const slot = this.#slots[index];
    if (slot === undefined) throw new RangeError(`no worker ${index}`);
    slot.handle?.terminate();
  }

  /** Stops accepting; requests in flight finish, then the workers end (same as `shutdown`). */
  close(): Promise<void> {
    return this.shutdown();
  }

  /**
   * Graceful stop: every worker stops accepting, closes idle connections,
   * finishes the requests in flight, then ends. Resolves once all have.
   */
  shutdown(): Promise<void> {
    return this.#stopAll("graceful");
  }

  /** Forced stop: every connection is aborted now and the workers end. */
  terminate(): Promise<void> {
    return this.#stopAll("forced");
  }

  async #stopAll(how: "graceful" | "forced"): Promise<void> {
    if (this.#stopping !== "forced") this.#stopping = how;
    for (const timer of this.#restarting.values()) clearTimeout(timer ?? undefined);
    this.#restarting.clear();
    for (const slot of this.#slots) {
      slot.handle?.post({ type: how === "forced" ? "close" : "shutdown" });
    }
    await Promise.all(this.#slots.map((slot) => slot.stopped));
  }

  /** Starts worker `index`; resolves with its first word: listening or not. */
  #start(
    index: number,
    port: number,
    reusePort: boolean,
  ): Promise<Extract<FromWorker, { type: "listening" | "listen-failed" }>> {
    let onStopped!: () => void;
    const slot: WorkerSlot = {
      index,
      handle: null,
      listening: false,
      shuttles: new Map(),
      stopped: new Promise((resolve) => (onStopped = resolve)),
      onStopped,
      statsWaiters: [],
    };
    this.#slots[index] = slot;
    const { hostname, path, tls } = this.#options;
    const init: WorkerInit = {
      type: "init",
      hostname,
      port,
      path,
      tls,
      reusePort,
      http: this.#options.http ?? {},
      http2: this.#options.http2 ?? true,
      maxInFlight: this.#options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
      maxConnections: this.#options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    };
    return new Promise((resolve, reject) => {
      let listening = false;
      spawnWorker(workerScript(), {
        message: (message) => {
          if (message.type === "listening" || message.type === "listen-failed") {
            listening = message.type === "listening";
            slot.listening = listening;
            // Before terminating: a Web Worker's terminate() reports the exit at once.
            resolve(message);
            if (!listening) slot.handle?.terminate();
          } else {
            this.#receive(slot, message);
          }
        },
        exit: (reason) => {
          this.#exited(slot, reason, listening);
          if (!listening) {
            resolve({ type: "listen-failed", message: reason, code: null });
          }
        },
      }).then((handle) => {
        slot.handle = handle;
        // Stopped while it was starting: the stop's message could not reach it.
        if (this.#stopping !== "no") handle.terminate();
        else handle.post(init);
      }, reject);
    });
  }

  #receive(slot: WorkerSlot, message: FromWorker): void {
    if (message.type === "stopped") {
      slot.handle?.terminate();
      return;
    }
    if (message.type === "listening" || message.type === "listen-failed") return;
    if (message.type === "log") {
      const { level, text, error } = message;
      const said = `worker ${slot.index}: ${text}`;
      if (level === "error") this.#logger.error(said, error ?? undefined);
      else this.#logger[level](said);
      return;
    }
    if (message.type === "stats") {
      slot.statsWaiters.shift()?.(message.stats);
      return;
    }
    if (message.type === "request") {
      const shuttle = new Shuttle(
        this.#nextId++,
        slot.index,
        message.id,
        message.head,
        (out) => slot.handle?.post(out),
      );
      slot.shuttles.set(message.id, shuttle);
      this.#accept!(shuttle);
      return;
    }
    const shuttle = slot.shuttles.get(message.id);
    switch (message.type) {
      case "body":
        shuttle?.[BODY](message.bytes);
        break;
      case "body-error":
        shuttle?.[BODY_ERROR](message.message);
        break;
      case "continue":
        shuttle?.[CONTINUE]();
        break;
      case "done":
        slot.shuttles.delete(message.id);
        shuttle?.[DONE](message.error);
        break;
      case "closed":
        slot.shuttles.delete(message.id);
        shuttle?.[GONE](message.reason);
        // Known or not (an aborted shuttle is forgotten here), the worker holds its slot until told.
        slot.handle?.post({ type: "release", id: message.id });
        break;
    }
  }

  #exited(slot: WorkerSlot, reason: string, wasListening: boolean): void {
    slot.handle = null;
    slot.listening = false;
    for (const shuttle of slot.shuttles.values()) shuttle[GONE](reason);
    slot.shuttles.clear();
    for (const resolve of slot.statsWaiters.splice(0)) resolve(null);
    // A crash: serve on with a fresh worker on the same port, at once.
    if (this.#stopping === "no" && wasListening && this.#addr !== null) {
      this.#restart(slot.index, 0);
    }
    slot.onStopped();
  }

  /**
   * Starts worker `index` again after it failed; one that cannot listen
   * (the port was taken meanwhile, a Unix socket path is occupied) is tried
   * again after a backoff, until it listens or the pool stops: a pool does
   * not stay without the workers it had. The first failure and the
   * recovery are logged, not each attempt.
   */
  #restart(index: number, failures: number): void {
    this.#restarting.set(index, null);
    const port = this.#addr?.transport === "tcp" ? this.#addr.port : 0;
    this.#start(index, port, this.#slots.length > 1).catch((error: unknown) => ({
      type: "listen-failed" as const,
      message: error instanceof Error ? error.message : String(error),
    })).then((result) => {
      if (this.#stopping !== "no") return;
      if (result.type === "listening") {
        this.#restarting.delete(index);
        this.#restarts++;
        if (failures > 0) {
          this.#logger.warn(`worker ${index} restarted after ${failures} failed attempts`);
        }
        return;
      }
      this.#failedRestarts++;
      if (failures === 0) {
        this.#logger.error(
          `worker ${index} could not be restarted: ${result.message}; trying again`,
        );
      }
      const delay = Math.min(RESTART_BACKOFF_MS * 2 ** failures, RESTART_BACKOFF_MAX_MS);
      this.#restarting.set(index, setTimeout(() => this.#restart(index, failures + 1), delay));
    });
  }
}

/** The worker entry point, as source (Deno, Bun) or as the npm build's JavaScript (Node). */
function workerScript(): URL {
  const compiled = !import.meta.url.endsWith(".ts");
  return new URL(compiled ? "./_worker.js" : "./_worker.ts", import.meta.url);
}
