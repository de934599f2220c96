import type { ConnectionInfo, Transport } from "../core/transport.ts";
import type { DenoConnLike } from "../internal/runtime_types.ts";
import { closeAction, endLinger, LINGER_EXPIRED, type Lingerer, startLinger } from "./_timing.ts";
import { type SocketSink, socketWritable } from "./_socket_writable.ts";
import { concatBytes, WRITE_ALONE_BYTES } from "../internal/bytes.ts";
import {
  DIRECT_SINK,
  DIRECT_SOURCE,
  type DirectReader,
  type DirectSink,
  type DirectSource,
  type DirectWriter,
  ON_CHUNK,
  ON_READ_ERROR,
  ON_WRITE_ERROR,
  ON_WRITTEN,
} from "../internal/direct_io.ts";

/**
 * Read buffer sizes. A pending `conn.read()` holds its buffer while the
 * connection idles, so buffers start small (2 KiB: most request heads, and
 * a head with a 1 KiB body, in one read) and grow only while reads fill them
 * (a large upload), then drop back to the smallest.
 */
const MIN_READ = 2 * 1024;
const MAX_READ = 64 * 1024;

/**
 * Free read buffers of {@linkcode MIN_READ} bytes, shared by the
 * connections: a read takes one and gives it back once its few bytes are
 * copied out, so a connection that reads one request and closes allocates
 * none (a fresh buffer is a backing store V8 must allocate, zero and later
 * free). Kept up to {@linkcode READ_POOL_MAX}.
 */
const readPool: Uint8Array[] = [];
const READ_POOL_MAX = 256;

/** A buffer of `size` bytes to read into: from the pool when it is the smallest size. */
function readBuffer(size: number): Uint8Array {
  return (size === MIN_READ ? readPool.pop() : undefined) ?? new Uint8Array(size);
}

/** `buffer` holds nothing anyone keeps (its bytes were copied out, or none came): to the pool. */
function release(buffer: Uint8Array): void {
  if (buffer.length === MIN_READ && readPool.length < READ_POOL_MAX) readPool.push(buffer);
}

/**
 * Size of a scratch buffer: a 64 KiB chunk and what is in front of it. At
 * most {@linkcode SCRATCH_BUFFERS} are made, then kept for reuse (a fresh
 * buffer for each write costs more than the write it spares).
 */
const SCRATCH_BYTES = 72 * 1024;
const SCRATCH_BUFFERS = 16;
const scratchPool: Uint8Array[] = [];
let scratchMade = 0;

/** A free scratch buffer, or null when all are in use. */
function takeScratch(): Uint8Array | null {
  const scratch = scratchPool.pop();
  if (scratch !== undefined || scratchMade === SCRATCH_BUFFERS) return scratch ?? null;
  scratchMade++;
  return new Uint8Array(SCRATCH_BYTES);
}

/**
 * One `Deno.Conn` as a {@linkcode Transport}. Reads call `conn.read()` only
 * while the consumer pulls (the fastest way to read Deno offers: no stream queue between);
 * writes loop on `conn.write()`, which resolves once the kernel took bytes.
 *
 * The transport is also the sink of its output (`write`, `end`, `abort`),
 * and a pending read is one `conn.read()` and one `then`: an idle
 * connection parks a read, so every Promise and closure on that path is
 * held per connection. `write` and `end` are for the transport's own
 * output; use `writable`.
 */
export class DenoConnTransport implements Transport, DirectSource, SocketSink, Lingerer {
  #readable: ReadableStream<Uint8Array> | null = null;
  #direct = false;
  readonly info: ConnectionInfo;
  /** Our output as a stream, made only if asked for (the owning connection writes directly). */
  #writable: WritableStream<Uint8Array> | null = null;
  readonly #conn: DenoConnLike;
  #buffer: Uint8Array | null = null;
  #readSize = MIN_READ;
  #reading: Promise<number | null> | null = null;
  /** The direct read's buffer and reader while it is pending. */
  #readInto: Uint8Array | null = null;
  #reader: DirectReader | null = null;
  #onRead: ((n: number | null) => void) | null = null;
  #onReadError: ((error: unknown) => void) | null = null;
  #input: "open" | "ended" | "failed" | "cancelled" = "open";
  #peerEnded = false;
  #writeDone = false;
  #closed = false;
  #lingering = false;
  /** Who the pending `send` reports to. */
  #writer: DirectWriter | null = null;
  /** The buffer `conn.write()` is writing (one at a time), for its reaction. */
  #putting: Uint8Array | null = null;
  #onPut: ((n: number) => void) | null = null;
  #onPutError: ((error: unknown) => void) | null = null;
  /** The pending `send`'s buffers, from `#at` on still to write; null when it was one buffer. */
  #gather: readonly Uint8Array[] | null = null;
  #at = 0;
  /** The scratch buffer the pending write was joined in, back to the pool once it is written. */
  #scratch: Uint8Array | null = null;
  /** Where TCP_NODELAY stands: set before the second write, if at all (see the constructor). */
  #noDelay: "first" | "next" | "set";

  /**
   * `noDelay` asks for TCP_NODELAY, set only before the connection's second
   * write: Nagle's algorithm holds a small segment back only while earlier
   * data is unacknowledged (RFC 896, RFC 9293 section 3.7.4), never the first
   * write, so a connection that answers once and closes spares the
   * `setsockopt`.
   */
  constructor(conn: DenoConnLike, info: ConnectionInfo, noDelay = false) {
    this.#conn = conn;
    this.info = info;
    this.#noDelay = noDelay ? "first" : "set";
  }

  /** Bytes from the peer (made on first use; the owning connection reads directly). */
  get readable(): ReadableStream<Uint8Array> {
    if (this.#direct) throw new Error("the connection's input is read directly");
    return this.#readable ??= new ReadableStream<Uint8Array>({
      pull: (controller) => this.#pull(controller),
      cancel: () => this.cancel(),
      // Nothing is read ahead of the consumer.
    }, { highWaterMark: 0 });
  }

  /** The direct source for the connection that owns this transport. */
  [DIRECT_SOURCE](): DirectSource | null {
    if (this.#readable !== null) return null;
    this.#direct = true;
    return this;
  }

  /** Direct path: `read` reports from the reaction to `conn.read()`'s Promise. */
  get settles(): boolean {
    return true;
  }

  /** Direct path: one `conn.read()`, its bytes to `reader` (null at the end). */
  read(reader: DirectReader): void {
    if (this.#input !== "open") {
      // Ended or cancelled reads as the end; a failure was reported already.
      if (this.#input !== "failed") queueMicrotask(() => reader[ON_CHUNK](null));
      return;
    }
    const buffer = this.#buffer ?? readBuffer(this.#readSize);
    this.#readInto = buffer;
    this.#reader = reader;
    const reading = this.#reading = this.#conn.read(buffer);
    // The reactions are made once per transport, not per read: two closures fewer per chunk.
    reading.then(
      this.#onRead ??= (n) => this.#readDone(n),
      this.#onReadError ??= (error) => this.#readFailed(error),
    );
  }

  /** The direct read settled with `n` bytes (null: the peer ended). */
  #readDone(n: number | null): void {
    const buffer = this.#readInto!;
    const reader = this.#reader!;
    this.#readInto = null;
    this.#reader = null;
    // One direct read at a time, and a lingering close waits for it before reading.
    this.#reading = null;
    if (n === null || this.#input !== "open") release(buffer);
    if (n === null) this.#peerEnded = true;
    if (this.#input !== "open") return;
    if (n === null) {
      this.#input = "ended";
      this.#settle();
      reader[ON_CHUNK](null);
    } else {
      reader[ON_CHUNK](this.#take(buffer, n));
    }
  }

  /** The direct read failed. */
  #readFailed(error: unknown): void {
    const buffer = this.#readInto!;
    const reader = this.#reader!;
    this.#readInto = null;
    this.#reader = null;
    this.#reading = null;
    release(buffer); // the op is over: the runtime no longer writes into it
    if (this.#input !== "open") return;
    this.#input = "failed";
    reader[ON_READ_ERROR](this.#closed ? new Error("connection closed") : error);
    this.#settle();
  }

  /** The reader is done: what cancelling the stream does. */
  cancel(): void {
    if (this.#input !== "open") return;
    this.#input = "cancelled";
    this.#settle();
  }

  /** The reader is done and the peer sent all it will: as if its end was read (no lingering close). */
  finish(): void {
    if (this.#input !== "open") return;
    this.#input = "ended";
    this.#settle();
  }

  /** Bytes to the peer (made on first use; the owning connection writes directly). */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= socketWritable(this);
  }

  /** The direct sink for the connection that owns this transport. */
  [DIRECT_SINK](): DirectSink | null {
    return this.#writable === null ? this : null;
  }

  async #pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    const buffer = this.#buffer ?? readBuffer(this.#readSize);
    let n: number | null;
    try {
      n = await this.#read(buffer);
    } catch (error) {
      if (this.#input !== "open") return;
      this.#input = "failed";
      controller.error(this.#closed ? new Error("connection closed") : error);
      this.#settle();
      return;
    }
    if (this.#input !== "open") return;
    if (n === null) {
      this.#input = "ended";
      controller.close();
      this.#settle();
    } else {
      controller.enqueue(this.#take(buffer, n));
    }
  }

  /**
   * The `n` bytes read into `buffer`, copied out as a chunk to hand over:
   * the buffer is lent to the reads, never handed over, so a large body is
   * read into one warm buffer again and again (a fresh one for each read
   * costs V8 zeroing it, or the kernel faulting its pages in under `recv`),
   * and only the copy is new memory, what a consumer may keep. Copied by
   * the `Uint8Array` constructor, not `slice`: V8 allocates a copy from a
   * typed array uninitialized, while `slice` zeroes the new memory before
   * copying into it (a `memset` of 64 KiB per chunk of an upload). Adapts
   * the next read's size: doubled while reads fill the buffer, back to the
   * smallest once one is mostly empty (the body is over).
   */
  #take(buffer: Uint8Array, n: number): Uint8Array {
    if (n === buffer.length) this.#readSize = Math.min(buffer.length * 2, MAX_READ);
    else if (n < buffer.length / 8) this.#readSize = MIN_READ;
    // A full read is copied whole: no view made to copy from.
    const chunk = new Uint8Array(n === buffer.length ? buffer : buffer.subarray(0, n));
    if (buffer.length === MIN_READ) {
      // Back to the pool: another connection's next read may take it.
      this.#buffer = null;
      release(buffer);
    } else {
      this.#buffer = buffer.length === this.#readSize ? buffer : null;
    }
    return chunk;
  }

  /** One `conn.read()`, remembered so a lingering close can wait for it. */
  #read(buffer: Uint8Array): Promise<number | null> {
    const reading = this.#conn.read(buffer).then((n) => {
      if (n === null) this.#peerEnded = true;
      return n;
    });
    this.#reading = reading;
    return reading.finally(() => {
      if (this.#reading === reading) this.#reading = null;
    });
  }

  /** Output sink: the whole chunk, however many writes the kernel needs (see `send`). */
  write(chunk: Uint8Array): Promise<void> {
    return this.#sent(chunk);
  }

  /** Output sink: several buffers, as `send` gathers them. */
  writev(chunks: readonly Uint8Array[]): Promise<void> {
    return this.#sent(chunks);
  }

  /** `send` as a Promise, for a writer that waits for one (the `WritableStream` path). */
  #sent(chunks: Uint8Array | readonly Uint8Array[]): Promise<void> {
    return new Promise((resolve, reject) =>
      this.send(chunks, { [ON_WRITTEN]: resolve, [ON_WRITE_ERROR]: reject })
    );
  }

  /**
   * Output sink: one buffer or several, every byte however many writes the
   * kernel needs, then `writer` told from the last write's reaction (no
   * Promise of our own: `write` as an `async` function was one Promise and
   * one reaction more per write). Deno has no gathered write, so the small
   * buffers in front of a large one (a chunk's size line, a response head)
   * are copied with it into a scratch buffer while one is free, and those
   * after it (a chunked body's end) while they fit: one write per chunk of a
   * chunked body, the last included, as `Deno.serve` does. Otherwise the
   * small ones are joined and the large one goes on its own.
   */
  send(chunks: Uint8Array | readonly Uint8Array[], writer: DirectWriter): void {
    this.#writer = writer;
    this.#at = 0;
    if (!Array.isArray(chunks)) {
      const chunk = chunks as Uint8Array;
      this.#gather = chunk.length > 0 ? null : [];
      if (this.#gather === null) return this.#put(chunk);
    } else {
      this.#gather = chunks;
    }
    this.#next();
  }

  /** The next write of the gathered buffers; the writer told once none is left. */
  #next(): void {
    const chunks = this.#gather!;
    let start = this.#at;
    for (;;) {
      if (start === chunks.length) {
        this.#gather = null;
        // Nothing (more) to write: still reported from a reaction, never synchronously.
        if (this.#at === 0) return void Promise.resolve().then(() => this.#done());
        return this.#done();
      }
      let end = start;
      let size = 0;
      while (end < chunks.length && chunks[end].length < WRITE_ALONE_BYTES) {
        size += chunks[end++].length;
      }
      if (end === start) {
        this.#at = start + 1;
        return this.#put(chunks[start]);
      }
      const scratch = end < chunks.length && size + chunks[end].length <= SCRATCH_BYTES
        ? takeScratch()
        : null;
      if (scratch === null) {
        if (size === 0) {
          start = end;
          continue;
        }
        this.#at = end;
        return this.#put(concatBytes(chunks.slice(start, end), size));
      }
      // Small buffers after the large one (a chunked body's end) join it too, while they fit.
      let last = end + 1;
      size += chunks[end].length;
      while (
        last < chunks.length && chunks[last].length < WRITE_ALONE_BYTES &&
        size + chunks[last].length <= SCRATCH_BYTES
      ) {
        size += chunks[last++].length;
      }
      for (let at = 0; start < last; at += chunks[start++].length) scratch.set(chunks[start], at);
      this.#at = last;
      this.#scratch = scratch;
      return this.#put(scratch.subarray(0, size));
    }
  }

  /** `bytes` to the kernel, whole: `conn.write()` again for what one did not take. */
  #put(bytes: Uint8Array): void {
    let sent: Promise<number>;
    try {
      sent = this.#send(bytes);
    } catch (error) {
      sent = Promise.reject(error); // still reported from a reaction
    }
    this.#putting = bytes;
    // The reactions are made once per transport, not per write: two closures fewer per chunk.
    sent.then(
      this.#onPut ??= (n) => this.#putDone(n),
      this.#onPutError ??= (error) => this.#putFailed(error),
    );
  }

  /** `conn.write()` took `n` bytes of `#putting`. */
  #putDone(n: number): void {
    const bytes = this.#putting!;
    this.#putting = null;
    if (n < bytes.length) return this.#put(bytes.subarray(n));
    // Written whole, the bytes are the kernel's: the scratch buffer is free again.
    this.#freeScratch();
    if (this.#gather !== null) this.#next();
    else this.#done();
  }

  #putFailed(error: unknown): void {
    this.#putting = null;
    this.#freeScratch();
    this.#gather = null;
    const writer = this.#writer!;
    this.#writer = null;
    writer[ON_WRITE_ERROR](error);
  }

  #freeScratch(): void {
    if (this.#scratch === null) return;
    scratchPool.push(this.#scratch);
    this.#scratch = null;
  }

  #done(): void {
    const writer = this.#writer!;
    this.#writer = null;
    writer[ON_WRITTEN]();
  }

  /** One `conn.write()`; TCP_NODELAY first if it is the second (see the constructor). */
  #send(bytes: Uint8Array): Promise<number> {
    if (this.#noDelay !== "set") this.#beforeWrite();
    return this.#conn.write(bytes);
  }

  /** Counts writes until the second, which turns Nagle's algorithm off first. */
  #beforeWrite(): void {
    if (this.#noDelay === "first") {
      this.#noDelay = "next";
      return;
    }
    this.#noDelay = "set";
    try {
      this.#conn.setNoDelay?.(true);
    } catch {
      // Closed meanwhile: the write that follows says so.
    }
  }

  /**
   * Output sink: our FIN. A half-close first only while input may still
   * come (open, or left unread for a lingering close) or for TLS's
   * close_notify: else `close()` alone sends the FIN, sparing an op.
   */
  end(): Promise<void> | void {
    if (this.#input === "open" || this.#input === "cancelled" || this.info.tls) {
      return this.#conn.closeWrite().then(() => this.#writeEnded());
    }
    // Nothing to wait for: no Promise (the connection then closes without a reaction's hop).
    this.#writeEnded();
  }

  #writeEnded(): void {
    this.#writeDone = true;
    this.#settle();
  }

  /**
   * Drops the connection at once (what aborting `writable` does), as a reset
   * where Deno allows one. It offers no way to ask: its connections have no
   * SO_LINGER (only `setNoDelay` and `setKeepAlive`) and no descriptor to set
   * it on, and `conn.close()` shuts the write side down (a FIN after the bytes
   * the kernel holds) before it closes the socket. The kernel then resets the
   * connection only if input was left unread (RFC 1122 section 4.2.2.13), and
   * the reset overtakes the FIN only while output is still queued. Otherwise
   * the peer gets the queued bytes and a FIN; a response's framing
   * (Content-Length, chunked) still tells it the response was cut short.
   */
  abort(): void {
    this.#writeDone = true;
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime.
    }
  }

  /** Closes the connection once both directions are done with it. */
  #settle(): void {
    const action = closeAction({
      writeDone: this.#writeDone,
      inputOpen: this.#input === "open",
      inputCancelled: this.#input === "cancelled",
      peerEnded: this.#peerEnded,
      closed: this.#closed,
      lingering: this.#lingering,
    });
    if (action === "close") this.#close();
    else if (action === "linger") void this.#linger();
  }

  /** Reads and drops input until the peer's FIN (or a bound), so closing does not reset. */
  async #linger(): Promise<void> {
    this.#lingering = true;
    startLinger(this);
    const scratch = this.#buffer ?? new Uint8Array(MIN_READ);
    try {
      if (this.#reading !== null) await this.#reading;
      while (!this.#peerEnded && !this.#closed) await this.#read(scratch);
    } catch {
      // Reset by the peer or closed by the bound: either way, done.
    } finally {
      endLinger(this);
      this.#close();
    }
  }

  /** The peer did not end its side in time: closing ends the pending read too. */
  [LINGER_EXPIRED](): void {
    this.#close();
  }
}
