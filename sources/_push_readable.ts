import {
  type DirectReader,
  type DirectSource,
  ON_CHUNK,
  ON_READ_ERROR,
} from "../internal/direct_io.ts";

/** What a push-style socket (Node, Bun) offers to a pull-driven reader. */
export interface PushSocketControl {
  /** Stop delivering data (the kernel buffer fills, the peer is slowed down). */
  pause(): void;
  /** Deliver data again. */
  resume(): void;
  /** The consumer cancelled the stream. */
  cancelled(): void;
}

/**
 * Bytes the direct path keeps for a reader that has not asked yet. Below
 * it the socket keeps flowing, so a busy connection is not paused and
 * resumed for every chunk; above it the socket pauses and TCP backpressure
 * reaches the peer.
 */
const READ_AHEAD = 64 * 1024;

/**
 * Input from a socket that pushes data through callbacks, to a pull-driven
 * reader: either a `ReadableStream` (made on first use of `stream`) or the
 * connection's direct path (`direct()`). A socket given paused has nothing
 * read before the first read; one given flowing (sparing the pause and
 * resume of every new connection) has chunks kept, as for the direct path,
 * until a reader comes. The stream resumes the socket only while a read is
 * pending and pauses it as soon as a chunk satisfies it; the direct path
 * lets up to {@linkcode READ_AHEAD} bytes wait. Either way a consumer that
 * stops reading stops the socket.
 */
export class PushReadable implements DirectSource {
  #stream: ReadableStream<Uint8Array> | null = null;
  #controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  #state: "open" | "ended" | "failed" | "cancelled" = "open";
  readonly #socket: PushSocketControl;
  // The direct path.
  #direct = false;
  /** Chunks a reader has not asked for yet (made when the first one waits). */
  #queue: Uint8Array[] | null = null;
  #queued = 0;
  #paused = true;
  #failure: unknown = null;
  /** The reader of a pending read. */
  #reader: DirectReader | null = null;
  /** The socket's callbacks are host tasks of their own (Node, Bun): see `ownTask`. */
  readonly #callbacksAreTasks: boolean;
  /** A chunk is being handed to the reader from the socket's callback. */
  #inCallback = false;

  /**
   * `flowing`: the socket is not paused (it delivers data before anyone
   * reads). `callbacksAreTasks`: the host runs each socket callback as a task
   * of its own and the microtasks it queued right after it (Node, Bun).
   */
  constructor(socket: PushSocketControl, flowing = false, callbacksAreTasks = false) {
    this.#socket = socket;
    this.#paused = !flowing;
    this.#callbacksAreTasks = callbacksAreTasks;
  }

  /**
   * Direct path: whether the chunk being read came straight from the
   * socket's callback, a host task of its own (see
   * {@linkcode DirectSource.ownTask}); not so for one that waited.
   */
  get ownTask(): boolean {
    return this.#inCallback;
  }

  /** The stream form (not available once the direct path is taken). */
  get stream(): ReadableStream<Uint8Array> {
    if (this.#direct) throw new Error("the socket's input is read directly");
    return this.#stream ??= new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
        // Chunks a flowing socket delivered before the stream was made, then its end.
        const queue = this.#queue;
        this.#queue = null;
        this.#queued = 0;
        if (queue !== null) { for (const chunk of queue) controller.enqueue(chunk); }
        if (this.#state === "ended") controller.close();
        else if (this.#state === "failed") controller.error(this.#failure);
      },
      pull: () => {
        if (this.#state === "open") this.#socket.resume();
      },
      cancel: () => this.cancel(),
      // Nothing is read ahead of the consumer.
    }, { highWaterMark: 0 });
  }

  /** The direct path, unless the stream form is already in use. */
  direct(): DirectSource | null {
    if (this.#stream !== null) return null;
    this.#direct = true;
    return this;
  }

  /** Whether chunks are still wanted (not ended, failed or cancelled). */
  get open(): boolean {
    return this.#state === "open";
  }

  /** Whether the consumer cancelled (rather than the stream ending by itself). */
  get cancelled(): boolean {
    return this.#state === "cancelled";
  }

  /** Direct path: a chunk that waits, taken now (see {@linkcode DirectSource.take}). */
  take(): Uint8Array | undefined {
    const queue = this.#queue;
    if (queue === null || queue.length === 0) return undefined;
    const chunk = queue.shift()!;
    this.#queued -= chunk.length;
    if (queue.length === 0) this.#queue = null;
    if (this.#state === "open" && this.#paused && this.#queued < READ_AHEAD) this.#resume();
    return chunk;
  }

  /** Direct path: the next chunk to `reader` (null at the end), or the failure. */
  read(reader: DirectReader): void {
    const chunk = this.take();
    if (chunk !== undefined) {
      queueMicrotask(() => reader[ON_CHUNK](chunk));
    } else if (this.#state === "failed") {
      const failure = this.#failure;
      queueMicrotask(() => reader[ON_READ_ERROR](failure));
    } else if (this.#state !== "open") {
      queueMicrotask(() => reader[ON_CHUNK](null));
    } else {
      this.#reader = reader;
      if (this.#paused) this.#resume();
    }
  }

  /** The consumer is done: the socket stops, and the socket's owner is told. */
  cancel(): void {
    if (this.#state !== "open") return;
    this.#state = "cancelled";
    this.#dropDirect();
    this.#pause();
    this.#socket.cancelled();
  }

  /**
   * The consumer is done and the peer sent all it will: as if its end was
   * read, so the owner closes without a lingering close. The socket is not
   * paused (that would cost a system call on a socket about to close).
   */
  finish(): void {
    if (this.#state !== "open") return;
    this.#state = "ended";
    this.#dropDirect();
  }

  /** Hands a chunk from the socket to the consumer; dropped once not open. */
  push(chunk: Uint8Array): void {
    if (this.#state !== "open") return;
    const controller = this.#controller;
    if (controller !== null) {
      controller.enqueue(chunk);
      if ((controller.desiredSize ?? 0) <= 0) this.#socket.pause();
      return;
    }
    // The direct path, or no reader yet (the stream's start() takes what waits).
    const reader = this.#reader;
    if (reader !== null) {
      this.#reader = null;
      this.#inCallback = this.#callbacksAreTasks;
      try {
        reader[ON_CHUNK](chunk);
      } finally {
        this.#inCallback = false;
      }
      return;
    }
    if (chunk.length === 0) return; // no news: `take()` hands over bytes only
    (this.#queue ??= []).push(chunk);
    this.#queued += chunk.length;
    if (this.#queued >= READ_AHEAD) this.#pause();
  }

  /** The peer ended its side: the consumer reads the end once queued chunks are taken. */
  end(): void {
    if (this.#state !== "open") return;
    this.#state = "ended";
    this.#controller?.close();
    const reader = this.#reader;
    this.#reader = null;
    reader?.[ON_CHUNK](null);
  }

  /** The socket failed: the consumer's reads reject with `error`. */
  fail(error: unknown): void {
    if (this.#state !== "open") return;
    this.#state = "failed";
    this.#failure = error;
    this.#controller?.error(error);
    const reader = this.#reader;
    this.#dropDirect();
    reader?.[ON_READ_ERROR](error);
  }

  #dropDirect(): void {
    this.#queue = null;
    this.#queued = 0;
    this.#reader = null;
  }

  #resume(): void {
    this.#paused = false;
    this.#socket.resume();
  }

  #pause(): void {
    this.#paused = true;
    this.#socket.pause();
  }
}
