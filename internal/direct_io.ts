/**
 * The socket adapters' direct path: the same sink the transport's
 * `WritableStream` wraps, without the stream's queue, Promises and
 * allocations per write. A {@linkcode Connection} that owns a transport
 * offering it writes through it; anything else keeps using the streams.
 *
 * @module
 */

/**
 * Where a socket's outgoing bytes go: one write at a time, in order. It only
 * reads the buffers given (never writes to nor transfers them): the engine
 * may give the same bytes again, for a response sent again.
 */
export interface DirectSink {
  /** Hands bytes to the socket; a returned Promise is backpressure (wait before the next). */
  write(chunk: Uint8Array): Promise<void> | void;
  /**
   * Optional: hands several buffers over as one gathered write (Node's
   * `writev`), sparing the copy that joining them would cost. Same
   * backpressure contract as `write`.
   */
  writev?(chunks: readonly Uint8Array[]): Promise<void> | void;
  /**
   * Optional: `write` (one buffer) or `writev` (several) that tells `writer`
   * once every byte is handed over, from a Promise reaction (never
   * synchronously), instead of returning a Promise: for a sink whose writes
   * all settle later (Deno's `conn.write()`), the reaction calls the
   * connection at once, with no Promise of the sink's own and no second
   * reaction to wait for it. Same contract otherwise; preferred when offered.
   */
  send?(chunks: Uint8Array | readonly Uint8Array[], writer: DirectWriter): void;
  /** Ends our side once every write has settled. */
  end(): Promise<void> | void;
  /** Drops the connection now; `reason` says why to whoever is on the other side. */
  abort(reason: Error): void;
}

/** The key of {@linkcode DirectWriter}'s method told that a `send` is done. */
export const ON_WRITTEN: unique symbol = Symbol("hussar.onWritten");
/** The key of {@linkcode DirectWriter}'s method told that a `send` failed. */
export const ON_WRITE_ERROR: unique symbol = Symbol("hussar.onWriteError");

/** Who a {@linkcode DirectSink}'s `send` reports to: the connection that owns the transport. */
export interface DirectWriter {
  /** Every byte of the `send` was handed to the socket. */
  [ON_WRITTEN](): void;
  /** The `send` failed. */
  [ON_WRITE_ERROR](error: unknown): void;
}

/** The key under which a transport offers `() => DirectSink | null`. */
export const DIRECT_SINK: unique symbol = Symbol("hussar.directSink");

/** A transport that may offer a direct sink. */
export interface MaybeDirect {
  [DIRECT_SINK]?: () => DirectSink | null;
}

/** The transport's direct sink, if it offers one (and its stream is not in use). */
export function directSinkOf(transport: object): DirectSink | null {
  return (transport as MaybeDirect)[DIRECT_SINK]?.() ?? null;
}

/** A `WritableStream` as a sink, for transports without a direct one. */
export function streamSink(writable: WritableStream<Uint8Array>): DirectSink {
  const writer = writable.getWriter();
  // A failing writer is seen through write() rejections; keep this one quiet.
  writer.closed.catch(() => {});
  return {
    write: (chunk) => writer.write(chunk),
    end: () => writer.close(),
    abort: (reason) => void writer.abort(reason).catch(() => {}),
  };
}

/** The key of {@linkcode DirectReader}'s method that takes the bytes read. */
export const ON_CHUNK: unique symbol = Symbol("hussar.onChunk");
/** The key of {@linkcode DirectReader}'s method that takes a read's failure. */
export const ON_READ_ERROR: unique symbol = Symbol("hussar.onReadError");

/**
 * Who takes what a {@linkcode DirectSource} reads: the connection that owns
 * the transport. Methods of an object rather than callbacks, so that a
 * connection holds no closure per read path while it idles.
 */
export interface DirectReader {
  /** The next bytes, or `null` once the peer has ended. */
  [ON_CHUNK](chunk: Uint8Array | null): void;
  /** The read failed. */
  [ON_READ_ERROR](error: unknown): void;
}

/** Where a socket's incoming bytes come from, without a `ReadableStream`. */
export interface DirectSource {
  /**
   * Optional: a chunk the socket already received while no read was
   * pending, handed over now (synchronously), or `undefined` when none
   * waits (then `read`). Never the end or a failure, which `read` reports.
   * Not to be called while a read is pending.
   */
  take?(): Uint8Array | undefined;
  /**
   * Asks for the next bytes: calls `reader[ON_CHUNK]` once with them (`null`
   * once the peer has ended), or `reader[ON_READ_ERROR]`; never
   * synchronously. One read at a time.
   */
  read(reader: DirectReader): void;
  /**
   * Optional: `true` when `read` calls back from a Promise reaction (a
   * microtask, as Deno's `conn.read()` settles): the reader's thread then
   * resumes in the same microtask checkpoint, not on the next host task.
   */
  readonly settles?: boolean;
  /**
   * Optional: `true` when `read` calls back from a host task of its own (a
   * socket callback, as Node's and Bun's `data` handlers), after which the host runs the
   * microtasks queued in it. The reader's thread then resumes in that
   * checkpoint, as with `settles`, with the scheduler's whole budget of
   * microtask ticks (the host loop has just run): the exchange it starts,
   * a streamed body's chunks included, goes on in that task while nothing
   * waits, rather than in turns shared with every other connection. The
   * connection does so only when its last exchange sent 64 KiB or more (a
   * stream); other reads stay batched in the scheduler's next host task.
   */
  readonly ownTask?: boolean;
  /** The reader is done (what cancelling the stream does). */
  cancel(): void;
  /**
   * Optional: the reader is done and the peer has sent all it will (its last
   * request asked to close and was read whole). Unlike `cancel`, no input
   * is left unread, so closing needs no lingering close (RFC 9112 §9.6) and
   * no half-close before it.
   */
  finish?(): void;
}

/** The key under which a transport offers `() => DirectSource | null`. */
export const DIRECT_SOURCE: unique symbol = Symbol("hussar.directSource");

/** The transport's direct source, if it offers one (and its stream is not in use). */
export function directSourceOf(transport: object): DirectSource | null {
  return (transport as { [DIRECT_SOURCE]?: () => DirectSource | null })[DIRECT_SOURCE]?.() ??
    null;
}

/** A `ReadableStream` as a source, for transports without a direct one. */
export function streamSource(readable: ReadableStream<Uint8Array>): DirectSource {
  const reader = readable.getReader();
  return {
    read: (to) =>
      void reader.read().then(
        (step) => to[ON_CHUNK](step.done ? null : step.value),
        (error) => to[ON_READ_ERROR](error),
      ),
    cancel: () => void reader.cancel().catch(() => {}),
  };
}
