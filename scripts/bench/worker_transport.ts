/**
 * Worker-mode transport benchmark: the two candidate channels between the
 * main thread and an HTTP worker, on the message pattern of worker mode.
 *
 *   deno run -A scripts/bench/worker_transport.ts [--seconds=2] [--rounds=3] [--runtime=deno,bun,node]
 *     [--out=docs/bench] [--no-build]
 *
 * Candidates:
 * - `postMessage`: small objects by structured clone, body chunks with their
 *   `ArrayBuffer` transferred (what workers/ does today).
 * - `ring`: one `SharedArrayBuffer` ring per direction (single producer,
 *   single consumer): frames of `[u32 length][u32 json length][JSON][raw
 *   bytes]`, 4-byte aligned, write/read byte counters in an `Int32Array`.
 *   The writer stores its counter and, only if the reader said it sleeps,
 *   calls `Atomics.notify`; the reader drains every frame it finds, then
 *   parks on `Atomics.waitAsync`, so its event loop stays free. A full ring
 *   makes the writer park the same way on the read counter.
 * - `postMessage-batched` (for reference, not one of the two candidates):
 *   the frames sent in one synchronous run go as one `postMessage` from a
 *   microtask. The ring's reader drains many frames per wake-up; this
 *   tells how much of the ring's gain batching alone would give.
 *
 * Patterns:
 * - `small`: the worker sends request heads (~300 bytes as JSON) to the main
 *   thread, which answers each with a response head (~100 bytes with a
 *   13-byte body); 64 requests outstanding. Messages/s counts both
 *   directions; round-trip latency is measured by the worker.
 * - `stream`: the main thread sends 16 KiB chunks (a fresh buffer each, as a
 *   handler's stream would make them) and waits for the worker's "continue"
 *   before the next one; the worker copies each chunk out of the ring
 *   (a socket write may keep it) or takes the transferred one.
 *
 * Each measurement runs in a fresh worker: 0.5 s of warm-up, then
 * `--seconds` (default 2) measured. The transports take turns for
 * `--rounds` rounds (default 3) and each one's best round is reported (the
 * machine may be shared: outside load only ever lowers a figure). Each runtime runs in its own process
 * (`--child`); Node runs the npm build made first into `$HUSSAR_NPM_OUT`
 * (default `.build/bench-workers`; skip with `--no-build`). Prints a table
 * per runtime and the ratios ring/postMessage (and batched/postMessage), and writes
 * `worker_transport.json` into `--out` (default `docs/bench`).
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { dirname, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { binary, option } from "./_args.ts";
import { buildForNode } from "./_node_build.ts";

/** A candidate channel. */
type Transport = "postMessage" | "ring" | "postMessage-batched";
/** A message pattern. */
type Pattern = "small" | "stream";

/** One transport on one pattern and runtime. */
interface TransportResult {
  runtime: string;
  transport: Transport;
  pattern: Pattern;
  seconds: number;
  /** `small`: messages per second, both directions counted. */
  messagesPerSecond?: number;
  /** `small`: round trips (request → response) per second. */
  roundTripsPerSecond?: number;
  p50Us?: number;
  p99Us?: number;
  /** `small`: process CPU time (both threads) per request/response pair, µs. */
  cpuUsPerRoundTrip?: number;
  /** `stream`: payload MB/s (10^6 bytes). */
  megabytesPerSecond?: number;
  chunks?: number;
  /** `stream`: process CPU time (both threads) per chunk and its "continue", µs. */
  cpuUsPerChunk?: number;
  /** The figure (msg/s or MB/s) of every round; the best one is reported. */
  rounds?: number[];
}

/** What a runtime child reports. */
interface RuntimeReport {
  runtime: string;
  version: string;
  waitAsync: boolean;
  results: TransportResult[];
  /** Why a transport was not measured, if one was not. */
  skipped: string[];
}

/** Setup message, main → worker (always by postMessage). */
interface Setup {
  type: "setup";
  transport: Transport;
  pattern: Pattern;
  warmupMs: number;
  measureMs: number;
  /** Ring transport: main→worker and worker→main rings. */
  toWorker?: SharedArrayBuffer;
  toMain?: SharedArrayBuffer;
}

/** A frame on either transport: a small object, and raw bytes for chunks and bodies. */
interface Frame {
  message: Record<string, unknown>;
  bytes: Uint8Array | null;
}

const OUTSTANDING = 64;
const CHUNK_BYTES = 16 * 1024;
const RING_BYTES = 1 << 20;
const WARMUP_MS = 500;
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..");
const RUNTIMES = ["deno", "bun", "node"] as const;

// ---------------------------------------------------------------- the ring

type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeout?: number,
) => { async: boolean; value: Promise<string> | string };

/** `Atomics.waitAsync` where the runtime has it (typed locally: older `lib`s lack it). */
const waitAsync: WaitAsync | undefined = (Atomics as unknown as { waitAsync?: WaitAsync })
  .waitAsync;

// Control words (Int32Array indices) at the start of each ring's buffer.
const WRITTEN = 0; // bytes ever written (wraps at 2^32; differences stay right)
const READ = 1; // bytes ever consumed
const READER_SLEEPS = 2; // 1 while the reader is parked on WRITTEN
const WRITER_SLEEPS = 3; // 1 while the writer is parked on READ (ring full)
const CONTROL_BYTES = 64;
const WRAP = 0xffffffff; // a length word meaning "continue at the start"

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One direction of the shared-memory channel. */
class Ring {
  readonly #control: Int32Array;
  readonly #data: Uint8Array;
  readonly #view: DataView;
  readonly #mask: number;
  #scratch = new Uint8Array(4096);
  #pending: Frame[] = [];
  #flushing = false;

  constructor(buffer: SharedArrayBuffer) {
    this.#control = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
    this.#data = new Uint8Array(buffer, CONTROL_BYTES);
    this.#view = new DataView(buffer, CONTROL_BYTES);
    this.#mask = this.#data.length - 1; // a power of two
  }

  static allocate(): SharedArrayBuffer {
    return new SharedArrayBuffer(CONTROL_BYTES + RING_BYTES);
  }

  /** Writes a frame, or queues it until the reader makes room. */
  send(message: Record<string, unknown>, bytes: Uint8Array | null = null): void {
    if (this.#pending.length > 0 || !this.#tryWrite(message, bytes)) {
      this.#pending.push({ message, bytes });
      if (!this.#flushing) void this.#flush();
    }
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    while (this.#pending.length > 0) {
      const { message, bytes } = this.#pending[0];
      if (this.#tryWrite(message, bytes)) {
        this.#pending.shift();
        continue;
      }
      Atomics.store(this.#control, WRITER_SLEEPS, 1);
      const read = Atomics.load(this.#control, READ);
      if (this.#tryWrite(message, bytes)) {
        this.#pending.shift();
      } else {
        const parked = waitAsync!(this.#control, READ, read);
        if (parked.async) await parked.value;
      }
      Atomics.store(this.#control, WRITER_SLEEPS, 0);
    }
    this.#flushing = false;
  }

  #tryWrite(message: Record<string, unknown>, bytes: Uint8Array | null): boolean {
    const json = JSON.stringify(message);
    if (json.length * 3 > this.#scratch.length) this.#scratch = new Uint8Array(json.length * 3);
    const jsonLength = encoder.encodeInto(json, this.#scratch).written;
    const payload = 8 + jsonLength + (bytes?.length ?? 0);
    const size = (payload + 3) & ~3;
    if (size > this.#data.length / 2) throw new RangeError(`frame of ${size} bytes too large`);
    const written = Atomics.load(this.#control, WRITTEN);
    const used = (written - Atomics.load(this.#control, READ)) >>> 0;
    let at = written & this.#mask;
    const tail = this.#data.length - at;
    const skip = tail < size ? tail : 0;
    if (used + skip + size > this.#data.length) return false;
    if (skip > 0) {
      this.#view.setUint32(at, WRAP, true);
      at = 0;
    }
    this.#view.setUint32(at, payload, true);
    this.#view.setUint32(at + 4, jsonLength, true);
    this.#data.set(this.#scratch.subarray(0, jsonLength), at + 8);
    if (bytes !== null) this.#data.set(bytes, at + 8 + jsonLength);
    Atomics.store(this.#control, WRITTEN, (written + skip + size) | 0);
    if (Atomics.load(this.#control, READER_SLEEPS) === 1) Atomics.notify(this.#control, WRITTEN, 1);
    return true;
  }

  /** Delivers every frame as it comes, until `stop()`; parks on `Atomics.waitAsync` when empty. */
  async read(onFrame: (frame: Frame) => void, stopped: () => boolean): Promise<void> {
    const control = this.#control;
    let read = Atomics.load(control, READ);
    while (!stopped()) {
      const written = Atomics.load(control, WRITTEN);
      while (read !== written) {
        let at = read & this.#mask;
        let payload = this.#view.getUint32(at, true);
        if (payload === WRAP) {
          read = (read + this.#data.length - at) | 0;
          at = 0;
          payload = this.#view.getUint32(0, true);
        }
        const jsonLength = this.#view.getUint32(at + 4, true);
        const message = JSON.parse(
          decoder.decode(this.#data.subarray(at + 8, at + 8 + jsonLength)),
        );
        // Copied out: the writer reuses this space as soon as READ moves.
        const bytes = payload > 8 + jsonLength
          ? this.#data.slice(at + 8 + jsonLength, at + payload)
          : null;
        read = (read + ((payload + 3) & ~3)) | 0;
        Atomics.store(control, READ, read);
        if (Atomics.load(control, WRITER_SLEEPS) === 1) Atomics.notify(control, READ, 1);
        onFrame({ message, bytes });
      }
      Atomics.store(control, READER_SLEEPS, 1);
      if (Atomics.load(control, WRITTEN) === written) {
        const parked = waitAsync!(control, WRITTEN, written);
        if (parked.async) await parked.value;
      }
      Atomics.store(control, READER_SLEEPS, 0);
    }
  }
}

// ------------------------------------------------------------ the channels

/** Either transport, as seen from one side. */
interface Channel {
  send(message: Record<string, unknown>, bytes?: Uint8Array | null): void;
  close(): void;
}

/** A thread's raw postMessage port (Web Worker, worker scope, or node:worker_threads). */
interface RawPort {
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  onMessage(listener: (message: unknown) => void): void;
}

function owned(bytes: Uint8Array | null): ArrayBuffer[] {
  return bytes !== null && bytes.byteOffset === 0 &&
      bytes.byteLength === bytes.buffer.byteLength
    ? [bytes.buffer as ArrayBuffer]
    : [];
}

/**
 * One `postMessage` per frame, or (`batched`) the frames of one synchronous
 * run gathered into one message, sent from a microtask.
 */
function postMessageChannel(
  port: RawPort,
  onFrame: (frame: Frame) => void,
  batched = false,
): Channel {
  port.onMessage((data) => {
    const { frame, frames } = data as { frame?: Frame; frames?: Frame[] };
    if (frame !== undefined) onFrame(frame);
    else if (frames !== undefined) { for (const each of frames) onFrame(each); }
  });
  if (!batched) {
    return {
      send: (message, bytes = null) => port.post({ frame: { message, bytes } }, owned(bytes)),
      close: () => {},
    };
  }
  let frames: Frame[] = [];
  let transfer: ArrayBuffer[] = [];
  const flush = (): void => {
    port.post({ frames }, transfer);
    frames = [];
    transfer = [];
  };
  return {
    send: (message, bytes = null) => {
      if (frames.length === 0) queueMicrotask(flush);
      frames.push({ message, bytes });
      transfer.push(...owned(bytes));
    },
    close: () => {},
  };
}

function ringChannel(
  outgoing: SharedArrayBuffer,
  incoming: SharedArrayBuffer,
  onFrame: (frame: Frame) => void,
): Channel {
  const out = new Ring(outgoing);
  let stopped = false;
  void new Ring(incoming).read(onFrame, () => stopped);
  return {
    send: (message, bytes = null) => out.send(message, bytes),
    close: () => {
      stopped = true;
    },
  };
}

// ----------------------------------------------------------- the messages

/** A request head as worker mode sends it (about 300 bytes as JSON). */
function requestHead(id: number): Record<string, unknown> {
  return {
    type: "request",
    id,
    head: {
      method: "GET",
      url: "http://127.0.0.1:8000/api/items?page=2",
      headers: [
        ["host", "127.0.0.1:8000"],
        ["user-agent", "wrk/4.2.0"],
        ["accept", "*/*"],
        ["accept-encoding", "gzip, deflate"],
        ["connection", "keep-alive"],
      ],
      hasBody: false,
      remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 51234 },
      localAddr: { transport: "tcp", hostname: "127.0.0.1", port: 8000 },
    },
  };
}

const HELLO = encoder.encode("Hello, World!");

/** A response head with a complete small body (about 100 bytes). */
function responseHead(id: number): Record<string, unknown> {
  return { type: "head", id, status: 200, headers: [["content-type", "text/plain"]], end: true };
}

// ---------------------------------------------------------- the worker side

/** Latency histogram in microseconds (1 µs buckets up to 100 ms). */
class Histogram {
  readonly #buckets = new Uint32Array(100_000);
  count = 0;

  add(us: number): void {
    this.#buckets[Math.min(this.#buckets.length - 1, Math.floor(us))]++;
    this.count++;
  }

  percentile(p: number): number {
    let seen = 0;
    const wanted = Math.ceil(this.count * p);
    for (let i = 0; i < this.#buckets.length; i++) {
      seen += this.#buckets[i];
      if (seen >= wanted) return i;
    }
    return this.#buckets.length;
  }
}

function runWorker(port: RawPort): void {
  port.onMessage((data) => {
    const setup = data as Setup;
    if (setup.type !== "setup") return;
    let channel: Channel;
    const onFrame = (frame: Frame): void => handle(frame);
    if (setup.transport === "ring") {
      channel = ringChannel(setup.toMain!, setup.toWorker!, onFrame);
    } else {
      channel = postMessageChannel(port, onFrame, setup.transport === "postMessage-batched");
    }
    const sentAt = new Float64Array(65_536);
    const histogram = new Histogram();
    let nextId = 0;
    let started = 0;
    let measuring = false;
    let finishing = false;
    let measuredFrom = 0;
    let roundTrips = 0;
    let allRoundTrips = 0;
    let outstanding = 0;
    const sendRequest = (): void => {
      const id = nextId++;
      sentAt[id & 0xffff] = performance.now();
      outstanding++;
      channel.send(requestHead(id));
    };
    function handle({ message, bytes }: Frame): void {
      if (setup.pattern === "stream") {
        if (message.type === "chunk") {
          // A transferred chunk is ours; a ring chunk was copied out by the reader.
          const mark = (message.id as number) & 0xff;
          if (
            bytes?.length !== CHUNK_BYTES || bytes[0] !== mark || bytes[CHUNK_BYTES - 1] !== mark
          ) {
            throw new Error(`chunk ${message.id} arrived damaged`);
          }
          channel.send({ type: "continue", id: message.id });
        } else if (message.type === "end") {
          channel.close();
          port.post({ type: "result" });
        }
        return;
      }
      // small: a response to one of our requests.
      outstanding--;
      if (bytes === null || bytes.length !== HELLO.length) throw new Error("bad response body");
      const now = performance.now();
      allRoundTrips++;
      if (measuring) {
        roundTrips++;
        histogram.add((now - sentAt[(message.id as number) & 0xffff]) * 1000);
      }
      if (!measuring && !finishing && now - started >= setup.warmupMs) {
        measuring = true;
        measuredFrom = now;
      }
      if (measuring && now - measuredFrom >= setup.measureMs) {
        measuring = false;
        finishing = true;
        const seconds = (now - measuredFrom) / 1000;
        port.post({
          type: "result",
          seconds,
          roundTrips,
          allRoundTrips,
          p50Us: histogram.percentile(0.5),
          p99Us: histogram.percentile(0.99),
        });
      }
      if (!finishing) sendRequest();
      else if (outstanding === 0) channel.close();
    }
    if (setup.pattern === "small") {
      started = performance.now();
      for (let i = 0; i < OUTSTANDING; i++) sendRequest();
    }
    port.post({ type: "ready" });
  });
}

// ------------------------------------------------------------ the main side

async function workerPort(): Promise<{ port: RawPort; terminate(): void }> {
  const url = new URL(import.meta.url);
  if (isDeno() || isBun()) {
    const worker = new Worker(url.href, { type: "module" });
    let listener: (message: unknown) => void = () => {};
    worker.onmessage = (event: MessageEvent) => listener(event.data);
    worker.onerror = (event: ErrorEvent) => {
      console.error(`worker failed: ${event.message}`);
      process.exit(1);
    };
    return {
      port: {
        post: (message, transfer = []) => worker.postMessage(message, transfer),
        onMessage: (l) => {
          const previous = listener;
          listener = (message) => {
            previous(message);
            l(message);
          };
        },
      },
      terminate: () => worker.terminate(),
    };
  }
  const { Worker: NodeWorker } = await import("node:worker_threads");
  const worker = new NodeWorker(url);
  worker.on("error", (error: Error) => {
    console.error(`worker failed: ${error.message}`);
    process.exit(1);
  });
  return {
    port: {
      post: (message, transfer = []) => worker.postMessage(message, transfer),
      onMessage: (l) => worker.on("message", l),
    },
    terminate: () => void worker.terminate(),
  };
}

async function measure(
  runtime: string,
  transport: Transport,
  pattern: Pattern,
  measureMs: number,
): Promise<TransportResult> {
  const { port, terminate } = await workerPort();
  let onControl: (message: Record<string, unknown>) => void = () => {};
  port.onMessage((data) => {
    const message = data as Record<string, unknown>;
    if (message.frame === undefined) onControl(message);
  });
  const control = (type: string): Promise<Record<string, unknown>> =>
    new Promise((resolve) => {
      onControl = (message) => {
        if (message.type === type) resolve(message);
      };
    });
  let handle: (frame: Frame) => void = () => {};
  const onFrame = (frame: Frame): void => handle(frame);
  const setup: Setup = { type: "setup", transport, pattern, warmupMs: WARMUP_MS, measureMs };
  let channel: Channel;
  if (transport === "ring") {
    setup.toWorker = Ring.allocate();
    setup.toMain = Ring.allocate();
    channel = ringChannel(setup.toWorker, setup.toMain, onFrame);
  } else {
    channel = postMessageChannel(port, onFrame, transport === "postMessage-batched");
  }
  // The handlers are in place before the worker starts: its first requests may come at once.
  let release: () => void = () => {};
  if (pattern === "small") {
    // The main thread's part: answer each request head with a response head.
    handle = ({ message }) => {
      const id = (message as { id: number }).id;
      // Touch the head as the fetch adapter would, so a lazy decoder gains nothing.
      if ((message.head as { headers: unknown[] }).headers.length === 0) {
        throw new Error("no headers");
      }
      channel.send(responseHead(id), HELLO.slice());
    };
  } else {
    handle = ({ message }) => {
      if (message.type === "continue") release();
    };
  }
  try {
    const ready = control("ready");
    port.post(setup);
    await ready;
    // Process CPU time (every thread): what the transport costs, whatever else runs on the machine.
    const cpu0 = process.cpuUsage();
    const cpuUs = (): number => {
      const used = process.cpuUsage(cpu0);
      return used.user + used.system;
    };
    if (pattern === "small") {
      const result = await control("result");
      const cpuPerRoundTrip = cpuUs() / (result.allRoundTrips as number);
      const seconds = result.seconds as number;
      const roundTrips = result.roundTrips as number;
      return {
        runtime,
        transport,
        pattern,
        seconds,
        roundTripsPerSecond: roundTrips / seconds,
        messagesPerSecond: (2 * roundTrips) / seconds,
        p50Us: result.p50Us as number,
        p99Us: result.p99Us as number,
        cpuUsPerRoundTrip: cpuPerRoundTrip,
      };
    }
    // stream: one chunk in flight, each released by the worker's "continue".
    const sendChunk = (id: number): Promise<void> =>
      new Promise((resolve) => {
        release = resolve;
        // Marked, so that the worker can tell a chunk that a wrapping ring damaged.
        channel.send({ type: "chunk", id }, new Uint8Array(CHUNK_BYTES).fill(id & 0xff));
      });
    const start = performance.now();
    let id = 0;
    while (performance.now() - start < WARMUP_MS) await sendChunk(id++);
    const from = performance.now();
    let chunks = 0;
    while (performance.now() - from < measureMs) {
      await sendChunk(id++);
      chunks++;
    }
    const seconds = (performance.now() - from) / 1000;
    const cpuPerChunk = cpuUs() / id;
    const done = control("result");
    channel.send({ type: "end", id });
    await done;
    return {
      runtime,
      transport,
      pattern,
      seconds,
      chunks,
      megabytesPerSecond: (chunks * CHUNK_BYTES) / seconds / 1e6,
      cpuUsPerChunk: cpuPerChunk,
    };
  } finally {
    channel.close();
    terminate();
  }
}

// ---------------------------------------------------------------- runtimes

function isDeno(): boolean {
  return (globalThis as { Deno?: unknown }).Deno !== undefined;
}

function isBun(): boolean {
  return (globalThis as { Bun?: unknown }).Bun !== undefined;
}

function runtimeName(): string {
  return isDeno() ? "deno" : isBun() ? "bun" : "node";
}

function runtimeVersion(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  return g.Deno?.version.deno ?? g.Bun?.version ?? process.versions.node;
}

/** Whether this module runs as the benchmark's worker thread. */
async function inWorker(): Promise<boolean> {
  // Deno's node:worker_threads says "main thread" inside a Web Worker; its worker scope does not.
  if (isDeno()) {
    return typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined";
  }
  return !(await import("node:worker_threads")).isMainThread;
}

async function parentRawPort(): Promise<RawPort> {
  if (isDeno() || isBun()) {
    const scope = globalThis as unknown as {
      postMessage(message: unknown, transfer: ArrayBuffer[]): void;
      addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
    };
    return {
      post: (message, transfer = []) => scope.postMessage(message, transfer),
      onMessage: (listener) => scope.addEventListener("message", (event) => listener(event.data)),
    };
  }
  const { parentPort } = await import("node:worker_threads");
  const port = parentPort!;
  return {
    post: (message, transfer = []) => port.postMessage(message, transfer),
    onMessage: (listener) => port.on("message", listener),
  };
}

/** Every measurement on this runtime. */
async function runtimeReport(measureMs: number, rounds: number): Promise<RuntimeReport> {
  const runtime = runtimeName();
  const report: RuntimeReport = {
    runtime,
    version: runtimeVersion(),
    waitAsync: waitAsync !== undefined,
    results: [],
    skipped: [],
  };
  const transports: Transport[] = ["postMessage", "ring", "postMessage-batched"];
  if (waitAsync === undefined) {
    report.skipped.push(`ring: no Atomics.waitAsync on ${runtime}`);
    transports.splice(1, 1);
  }
  for (const pattern of ["small", "stream"] as const) {
    // The transports take turns, round after round, and the best round counts:
    // load from elsewhere only lowers a figure, and taking turns spreads it alike.
    const runs = new Map<Transport, TransportResult[]>(transports.map((t) => [t, []]));
    for (let round = 0; round < rounds; round++) {
      for (const transport of transports) {
        runs.get(transport)!.push(await measure(runtime, transport, pattern, measureMs));
      }
    }
    for (const transport of transports) {
      const all = runs.get(transport)!;
      const best = all.reduce((a, b) => (metric(b)! > metric(a)! ? b : a));
      report.results.push({ ...best, rounds: all.map((r) => Math.round(metric(r)!)) });
    }
  }
  return report;
}

// ------------------------------------------------------------------ output

function figure(result: TransportResult | undefined): string {
  if (result === undefined) return "-";
  if (result.pattern === "stream") {
    return `${result.megabytesPerSecond!.toFixed(0)} MB/s, CPU ${
      result.cpuUsPerChunk!.toFixed(1)
    } µs/chunk`;
  }
  return `${
    (result.messagesPerSecond! / 1e3).toFixed(0)
  }k msg/s, RTT p50 ${result.p50Us}/p99 ${result.p99Us} µs, CPU ${
    result.cpuUsPerRoundTrip!.toFixed(1)
  } µs/req`;
}

function metric(result: TransportResult | undefined): number | undefined {
  return result?.pattern === "stream" ? result.megabytesPerSecond : result?.messagesPerSecond;
}

/** A transport's figure over postMessage's, per pattern. */
function ratios(report: RuntimeReport, transport: Transport): Record<Pattern, number | null> {
  const out = { small: null, stream: null } as Record<Pattern, number | null>;
  for (const pattern of ["small", "stream"] as const) {
    const find = (t: Transport) =>
      report.results.find((r) => r.pattern === pattern && r.transport === t);
    const own = metric(find(transport));
    const post = metric(find("postMessage"));
    out[pattern] = own === undefined || post === undefined ? null : own / post;
  }
  return out;
}

function table(report: RuntimeReport): string {
  const rows = [[
    "pattern",
    "postMessage",
    "ring (SAB + waitAsync)",
    "ring/postMessage",
    "postMessage batched",
    "batched/postMessage",
  ]];
  const ring = ratios(report, "ring");
  const batched = ratios(report, "postMessage-batched");
  const times = (ratio: number | null): string => ratio === null ? "-" : `${ratio.toFixed(2)}x`;
  for (const pattern of ["small", "stream"] as const) {
    const find = (t: Transport) =>
      report.results.find((r) => r.pattern === pattern && r.transport === t);
    rows.push([
      pattern === "small" ? "small (64 outstanding)" : "stream 16 KiB, 1 in flight",
      figure(find("postMessage")),
      figure(find("ring")),
      times(ring[pattern]),
      figure(find("postMessage-batched")),
      times(batched[pattern]),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]): string =>
    `| ${row.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [
    `${report.runtime} ${report.version} (Atomics.waitAsync: ${report.waitAsync ? "yes" : "no"})`,
    line(rows[0]),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.slice(1).map(line),
    ...report.skipped.map((s) => `skipped: ${s}`),
  ].join("\n");
}

function runChild(command: string[]): Promise<RuntimeReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (out += text));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("report "));
      if (code !== 0 || line === undefined) {
        reject(new Error(`${command.join(" ")} failed (${code}):\n${out}`));
      } else resolve(JSON.parse(line.slice(7)));
    });
  });
}

async function main(): Promise<void> {
  const measureMs = Number(option("seconds") ?? "2") * 1000;
  const rounds = Number(option("rounds") ?? "3");
  if (process.argv.includes("--child")) {
    // A runtime's own run: one line for the driver.
    process.stdout.write(`report ${JSON.stringify(await runtimeReport(measureMs, rounds))}\n`);
    process.exit(0);
  }
  const chosen = option("runtime")?.split(",") ?? [...RUNTIMES];
  const nodeOut = process.env.HUSSAR_NPM_OUT ?? ".build/bench-workers";
  if (chosen.includes("node") && !process.argv.includes("--no-build")) {
    await buildForNode(nodeOut);
  }
  const seconds = `--seconds=${measureMs / 1000}`;
  const roundsArg = `--rounds=${rounds}`;
  const commands: Record<string, string[]> = {
    deno: [
      binary("deno"),
      "run",
      "-A",
      fileURLToPath(import.meta.url),
      "--child",
      seconds,
      roundsArg,
    ],
    bun: [binary("bun"), fileURLToPath(import.meta.url), "--child", seconds, roundsArg],
    node: [
      "node",
      join(ROOT, nodeOut, "esm", "scripts", "bench", "worker_transport.js"),
      "--child",
      seconds,
      roundsArg,
    ],
  };
  const reports: RuntimeReport[] = [];
  for (const runtime of RUNTIMES.filter((r) => chosen.includes(r))) {
    console.log(`${runtime}: measuring ...`);
    const report = await runChild(commands[runtime]);
    reports.push(report);
    console.log(`${table(report)}\n`);
  }
  const outDir = option("out") ?? join(ROOT, "docs", "bench");
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, "worker_transport.json");
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        command: `deno run -A scripts/bench/worker_transport.ts ${seconds} ${roundsArg}`,
        machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? "", kernel: release() },
        settings: {
          outstanding: OUTSTANDING,
          chunkBytes: CHUNK_BYTES,
          ringBytes: RING_BYTES,
          warmupMs: WARMUP_MS,
          measureMs,
          rounds,
        },
        runtimes: reports.map((report) => ({
          ...report,
          ringOverPostMessage: ratios(report, "ring"),
          batchedOverPostMessage: ratios(report, "postMessage-batched"),
        })),
      },
      null,
      2,
    ) + "\n",
  );
  console.log(`wrote ${relative(ROOT, file)}`);
}

if (await inWorker()) runWorker(await parentRawPort());
else await main();
