import { concatBytes } from "../internal/bytes.ts";
import { type MaybeGathered, TAKE_GATHERED } from "../internal/gathered.ts";
import type { ResponseBody } from "../httputil/respond.ts";
import type { SignalSource } from "./_client_signal.ts";

const EMPTY = new Uint8Array(0);
const PENDING = Symbol("pending");
/**
 * Microtasks a read of a body that is complete at once gets to settle.
 * Measured: strings, bytes, JSON and URLSearchParams settle within 1 on
 * Deno, Bun and Node, a Blob within 4 (Deno), each part of a FormData
 * within 18 (Deno; Node 7); Node 26 reads a Blob in a task of its own. A
 * read that takes longer waits for something outside (I/O, a timer): the
 * body streams, chunked.
 */
const SETTLE_MICROTASKS = 64;
/**
 * Bytes gathered at most before a body whose reads all settle at once is
 * sent as a stream after all: a producer that never waits must not fill
 * memory. A runtime's own body reaches past it only as a FormData (one
 * chunk per part on Deno and Node); Bun's bodies come as 16 KiB and the
 * rest, so any size of string, bytes or Blob gets its Content-Length.
 */
const GATHER_BYTES = 1024 * 1024;

/**
 * Bytes gathered at most from a body the program gave as a stream before it
 * is sent chunked, each chunk written as it is made, as the native servers
 * send such a body: gathered whole, its chunks were held through the
 * collections that landed meanwhile (Node 26, 1 MiB in 64 KiB chunks: 3.3-4.1
 * ms of CPU per response gathered to 1 MiB, 2.3-2.6 with this bound; 256 KiB
 * cost more than 64 on Bun). One that ends within it still gets its
 * Content-Length.
 */
const STREAM_GATHER_BYTES = 64 * 1024;

/**
 * A body complete at once in several chunks is sent as they are, with its
 * size, from this size on: joining it would copy it whole (the benchmark's
 * 1 MiB stream of 64 KiB chunks spent a quarter of the server's CPU there).
 */
const JOIN_BYTES = 64 * 1024;

/** A body complete at once, in chunks too large to join: a stream of them, and its size. */
export class SizedBody {
  constructor(readonly stream: ReaderBody, readonly size: number) {}
}

/**
 * One turn of the event loop: Node 26 reads a Blob's bytes in a task of its
 * own, after any number of microtasks.
 */
const nextTurn: (callback: () => void) => void = typeof globalThis.setImmediate === "function"
  ? (callback) => void setImmediate(callback)
  : (callback) => void setTimeout(callback, 0);

/**
 * Turns of the event loop one body may spend on reads that settle in them
 * (a Blob's chunks on Node 26): a producer on a short timer that happens to
 * win that race on a loaded machine is gathered for a few chunks at most.
 */
const SETTLE_TURNS = 8;

const WAITING = 0;
const FULFILLED = 1;
const REJECTED = 2;

/**
 * Watches the reads of one body, one at a time, for
 * {@linkcode settleSoon}: one object and two callbacks per body rather than
 * a Promise and closures per read (on Node 26, 12.6 of the 52 KB allocated
 * per 1 MiB response of 64 KiB chunks).
 */
class ReadWatch {
  state = WAITING;
  outcome: unknown = undefined;
  /** Turns of the event loop left for this body's reads (see {@linkcode SETTLE_TURNS}). */
  turns = SETTLE_TURNS;
  readonly fulfilled = (value: unknown): void => {
    this.state = FULFILLED;
    this.outcome = value;
  };
  readonly rejected = (error: unknown): void => {
    this.state = REJECTED;
    this.outcome = error;
  };
}

/**
 * What `read` settles to if it does within {@linkcode SETTLE_MICROTASKS}
 * microtasks, or then within one turn of the event loop while `watch` has
 * turns left, else {@linkcode PENDING}; the microtasks stop as soon as it
 * settles, and only a read that really waits spends a turn.
 */
async function settleSoon<T>(read: Promise<T>, watch: ReadWatch): Promise<T | typeof PENDING> {
  watch.state = WAITING;
  read.then(watch.fulfilled, watch.rejected);
  for (let left = SETTLE_MICROTASKS; watch.state === WAITING && left > 0; left--) await undefined;
  if (watch.state === WAITING && watch.turns-- > 0) {
    await new Promise<void>((resolve) => {
      const done = (): void => resolve();
      nextTurn(done);
      read.then(done, done);
    });
  }
  if (watch.state === REJECTED) throw watch.outcome;
  return watch.state === FULFILLED ? watch.outcome as T : PENDING;
}

/**
 * Turns a Fetch `Response` body into what `respond()` writes. A body that
 * is complete at once (a string, bytes, a Blob, a FormData, a stream that
 * ends without waiting) becomes one buffer, or a {@linkcode SizedBody} past
 * {@linkcode JOIN_BYTES} in several chunks, so it gets a `Content-Length`
 * on every runtime, however the runtime cuts it into chunks; anything that
 * waits stays a stream (chunked). The Fetch API exposes no length, so this
 * is found out by reading: chunk after chunk while each read settles
 * within a few microtasks, up to {@linkcode GATHER_BYTES}, or
 * {@linkcode STREAM_GATHER_BYTES} for a body the program gave as a stream
 * (`ownStream`): that one is sent as it is made.
 *
 * If the client leaves (`client.signal` aborts) while this waits for the
 * first chunk, the stream is cancelled: a producer that has nothing to say
 * yet is not left waiting forever.
 */
export async function resolveBody(
  stream: ReadableStream<Uint8Array> | null,
  client?: SignalSource,
  ownStream = false,
): Promise<ResponseBody | SizedBody> {
  if (stream === null) return null;
  const bound = ownStream ? STREAM_GATHER_BYTES : GATHER_BYTES;
  const reader = stream.getReader();
  const watch = new ReadWatch();
  let handedOver = false;
  try {
    const first = await readWatched(reader, watch, client);
    if (first.done) return EMPTY;
    const chunks = [bytesOf(first.value)];
    let size = first.value.length;
    for (;;) {
      const next = reader.read();
      const step = await settleSoon(next, watch);
      if (step === PENDING) {
        handedOver = true;
        return new ReaderBody(reader, chunks, next);
      }
      if (step.done) {
        if (chunks.length === 1 || size < JOIN_BYTES) return concatBytes(chunks, size);
        handedOver = true;
        return new SizedBody(new ReaderBody(reader, chunks, null), size); // its next read says done again
      }
      chunks.push(bytesOf(step.value));
      // Checked before counting this chunk: a big last chunk still gets its length.
      if (size >= bound) {
        handedOver = true;
        return new ReaderBody(reader, chunks, null);
      }
      size += step.value.length;
    }
  } finally {
    if (!handedOver) cancel(reader);
  }
}

function bytesOf(chunk: unknown): Uint8Array {
  if (!(chunk instanceof Uint8Array)) {
    throw new TypeError("a response body stream must yield Uint8Array chunks");
  }
  return chunk;
}

/**
 * A read that waits with the client's signal watched, so a client that
 * leaves cancels it. Most bodies answer at once: the signal is looked at
 * (and so made, see `ClientSignal`) only if not.
 */
async function readWatched(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  watch: ReadWatch,
  client: SignalSource | undefined,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  const reading = reader.read();
  const step = await settleSoon(reading, watch);
  if (step !== PENDING) return step;
  if (client === undefined) return reading;
  const signal = client.signal;
  const stop = (): void => cancel(reader, signal.reason);
  if (signal.aborted) stop();
  signal.addEventListener("abort", stop, { once: true });
  try {
    return await reading;
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

function cancel(reader: ReadableStreamDefaultReader<Uint8Array>, reason?: unknown): void {
  reader.cancel(reason).catch(() => {});
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The body from its gathered chunks on, as the writers take it: an async
 * iterator of those chunks, then of the reader's reads themselves. Not a
 * second stream around the reader (its pull, enqueue and read again per
 * chunk), nor an async generator: cancelling a generator waits for the read
 * it is parked on, which may never come, while `return()` here cancels that
 * read (the client went away or writing failed: the producer is told).
 * The HTTP/1.1 writer takes the gathered chunks at once (`TAKE_GATHERED`)
 * and writes them with the head: one gathered write, not one per chunk.
 */
export class ReaderBody implements AsyncIterableIterator<Uint8Array>, MaybeGathered {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #gathered: Uint8Array[];
  #index = 0;
  #pending: Promise<ReadableStreamReadResult<Uint8Array>> | null;

  constructor(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    gathered: Uint8Array[],
    pending: Promise<ReadableStreamReadResult<Uint8Array>> | null,
  ) {
    this.#reader = reader;
    this.#gathered = gathered;
    this.#pending = pending;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    const gathered = this.#gathered;
    if (this.#index < gathered.length) {
      const value = gathered[this.#index];
      gathered[this.#index++] = EMPTY; // written: not held until the end
      return Promise.resolve({ done: false, value });
    }
    const pending = this.#pending;
    this.#pending = null;
    // A read result is an iterator result: `{ done, value }`.
    return (pending ?? this.#reader.read()) as Promise<IteratorResult<Uint8Array>>;
  }

  /** Cancels the producer's stream with `reason`, as a stream's own async iterator does. */
  return(reason?: unknown): Promise<IteratorResult<Uint8Array>> {
    this.#gathered = [];
    return this.#reader.cancel(reason).then(() => DONE);
  }

  /** The gathered chunks, only before the first `next()` (see internal/gathered.ts). */
  [TAKE_GATHERED](): Uint8Array[] {
    if (this.#index !== 0) return [];
    const taken = this.#gathered;
    this.#gathered = []; // not held here while the rest streams
    return taken;
  }
}
