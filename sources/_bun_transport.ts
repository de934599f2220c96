import type { ConnectionInfo, Transport } from "../core/transport.ts";
import { PushReadable, type PushSocketControl } from "./_push_readable.ts";
import type { BunSocketLike } from "../internal/runtime_types.ts";
import { closeAction, endLinger, LINGER_EXPIRED, type Lingerer, startLinger } from "./_timing.ts";
import { type SocketSink, socketWritable } from "./_socket_writable.ts";
import {
  DIRECT_SINK,
  DIRECT_SOURCE,
  type DirectSink,
  type DirectSource,
} from "../internal/direct_io.ts";

/**
 * Buffers a gathered write joins into one `write()` at most: Bun's socket has
 * no gathered write, and a system call per buffer (a chunk's framing, then
 * its data) costs more than copying a chunk of up to this size.
 */
const JOIN_LIMIT = 128 * 1024;
/**
 * Where gathered buffers are joined, shared by every socket of the thread:
 * the kernel copies what it takes during `write()`, and the rest is sent
 * from the buffers given, so this one is free again once `writev` returns.
 * Made on first use.
 */
let joined: Uint8Array | null = null;

/**
 * One `Bun.listen` socket as a {@linkcode Transport}. Bun calls the
 * listener's handlers, which forward to the socket's transport (kept in
 * `socket.data`). Bun does not buffer writes: `write()` returns how much the
 * kernel took, the rest is kept here until the `drain` handler runs.
 *
 * The transport is also the control of its input (`pause`, `resume`,
 * `cancelled`) and the sink of its output (`write`, `end`, `abort`), which
 * spares each connection the closures of separate ones. Those methods are
 * for the transport's own input and output; use `readable` and `writable`.
 */
export class BunSocketTransport implements Transport, PushSocketControl, SocketSink, Lingerer {
  readonly info: ConnectionInfo;
  /** Our output as a stream, made only if asked for (the owning connection writes directly). */
  #writable: WritableStream<Uint8Array> | null = null;
  readonly #socket: BunSocketLike<unknown>;
  readonly #input: PushReadable;
  #peerEnded = false;
  #writeDone = false;
  #aborted = false;
  #closed = false;
  #failure: unknown = null;
  #unsent: Uint8Array | null = null;
  /** Buffers of a gathered write to send after `#unsent`, from `#laterAt` on. */
  #later: readonly Uint8Array[] | null = null;
  #laterAt = 0;
  #sent: { resolve(): void; reject(error: unknown): void } | null = null;
  #lingering = false;

  constructor(socket: BunSocketLike<unknown>, info: ConnectionInfo) {
    this.#socket = socket;
    this.info = info;
    // Flowing from the start: pausing each new socket, then resuming it for the first read, cost
    // Bun an epoll_ctl each and a wake for writability; the first chunk waits here instead.
    // Bun runs each socket callback as a task, then its microtasks: an exchange started
    // from `data` runs there (see `DirectSource.ownTask`).
    this.#input = new PushReadable(this, true, true);
  }

  /** Bytes from the peer (made on first use; the owning connection reads directly). */
  get readable(): ReadableStream<Uint8Array> {
    return this.#input.stream;
  }

  /** The direct source for the connection that owns this transport. */
  [DIRECT_SOURCE](): DirectSource | null {
    return this.#input.direct();
  }

  /** Bytes to the peer (made on first use; the owning connection writes directly). */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= socketWritable(this);
  }

  /** The direct sink for the connection that owns this transport. */
  [DIRECT_SINK](): DirectSink | null {
    return this.#writable === null ? this : null;
  }

  /** Input control: stop reading (the consumer has enough, or cancelled). */
  pause(): void {
    // Input cancelled after our output ended: `#settle` closes or lingers (reading) at once.
    if (!this.#closed && !(this.#writeDone && this.#input.cancelled)) this.#socket.pause();
  }

  /** Input control: read again. */
  resume(): void {
    if (!this.#closed) this.#socket.resume();
  }

  /** Input control: the reader is done. */
  cancelled(): void {
    this.#settle();
  }

  /** The `data` handler (the listener asks Bun for plain `Uint8Array`s, not Buffers). */
  onData(chunk: Uint8Array): void {
    this.#input.push(chunk);
  }

  /** The `drain` handler: the kernel takes bytes again. */
  onDrain(): void {
    for (let unsent = this.#unsent; unsent !== null; unsent = this.#unsent) {
      const written = this.#socket.write(unsent);
      if (written < 0) return this.#settleWrite(this.#closedError());
      if (written < unsent.length) {
        this.#unsent = unsent.subarray(written);
        return;
      }
      const later = this.#later;
      if (later === null || this.#laterAt === later.length) return this.#settleWrite(null);
      this.#unsent = later[this.#laterAt++];
    }
  }

  /** The `end` handler: the peer sent its FIN. */
  onEnd(): void {
    this.#peerEnded = true;
    this.#input.end();
    this.#settle();
  }

  /** The `error` handler. */
  onError(error: unknown): void {
    this.#failure ??= error;
  }

  /** The `close` handler: the socket is gone. */
  onClose(error?: unknown): void {
    this.#closed = true;
    if (this.#lingering) endLinger(this);
    if (error !== undefined && error !== null) this.#failure ??= error;
    if (this.#failure === null) {
      // A clean close: once our side is shut down, Bun reports the peer's FIN this way
      // rather than through the `end` handler.
      this.#input.end();
    } else {
      this.#input.fail(this.#failure);
    }
    // An Error (and its stack) only for a write still waiting: every closing connection comes here.
    if (this.#sent !== null) this.#settleWrite(this.#closedError());
  }

  /** Output sink: as much as the kernel takes now, the rest on `drain`. */
  write(chunk: Uint8Array): Promise<void> | void {
    if (this.#closed) throw this.#closedError();
    const written = this.#socket.write(chunk);
    if (written === chunk.length) return;
    if (written < 0) throw this.#closedError();
    return this.#afterDrain(chunk.subarray(written));
  }

  /**
   * Output sink: several buffers in order, runs of them that fit
   * {@linkcode JOIN_LIMIT} joined into one `write()` each (a head, then two
   * 64 KiB chunks with their framing: two writes, not five), a buffer past
   * it on its own. What the kernel leaves goes on `drain` as views of the
   * buffers given (the shared one is free again once this returns).
   */
  writev(chunks: readonly Uint8Array[]): Promise<void> | void {
    if (this.#closed) throw this.#closedError();
    const socket = this.#socket;
    let written = 0;
    for (let from = 0; from < chunks.length;) {
      let to = from;
      let size = 0;
      while (to < chunks.length && size + chunks[to].length <= JOIN_LIMIT) {
        size += chunks[to++].length;
      }
      let taken: number;
      if (to - from > 1) {
        const buffer = joined ??= new Uint8Array(JOIN_LIMIT);
        for (let at = 0, i = from; i < to; at += chunks[i++].length) buffer.set(chunks[i], at);
        taken = socket.write(buffer, 0, size);
      } else {
        to = from + 1; // one buffer, maybe past the limit: as it is
        size = chunks[from].length;
        taken = socket.write(chunks[from]);
      }
      if (taken < 0) throw this.#closedError();
      written += taken;
      if (taken < size) return this.#afterPartial(chunks, written);
      from = to;
    }
  }

  /** Keeps the buffers of a gathered write from where the kernel stopped, `written` bytes in. */
  #afterPartial(chunks: readonly Uint8Array[], written: number): Promise<void> {
    let at = 0;
    while (written >= chunks[at].length) written -= chunks[at++].length;
    this.#later = chunks;
    this.#laterAt = at + 1;
    return this.#afterDrain(chunks[at].subarray(written));
  }

  /** Keeps what the kernel left for `drain`; the Promise settles once all is sent. */
  #afterDrain(unsent: Uint8Array): Promise<void> {
    this.#unsent = unsent;
    return new Promise((resolve, reject) => (this.#sent = { resolve, reject }));
  }

  /** What a write on the closed socket fails with: why it closed, if known. */
  #closedError(): unknown {
    return this.#failure ?? new Error("connection closed");
  }

  #settleWrite(error: unknown): void {
    const sent = this.#sent;
    this.#unsent = null;
    this.#later = null;
    this.#sent = null;
    if (sent === null) return;
    if (error === null) sent.resolve();
    else sent.reject(error);
  }

  /** Output sink: our FIN. */
  end(): void {
    // Every write has resolved, so every byte is with the kernel.
    if (this.#closed) throw this.#closedError();
    this.#writeDone = true;
    if (this.#input.open) {
      this.#socket.shutdown(); // FIN, and keep reading
    } else {
      this.#settle();
    }
  }

  /** Output sink: a reset. */
  abort(): void {
    this.#writeDone = true;
    this.#aborted = true;
    this.#failure ??= new Error("connection aborted");
    if (!this.#closed) this.#socket.terminate(); // a reset
  }

  /** The peer did not end its side in time. */
  [LINGER_EXPIRED](): void {
    if (!this.#closed) this.#socket.end();
  }

  /** Closes the socket once both directions are done with it. */
  #settle(): void {
    const action = closeAction({
      writeDone: this.#writeDone,
      inputOpen: this.#input.open,
      inputCancelled: this.#input.cancelled,
      peerEnded: this.#peerEnded,
      closed: this.#closed || this.#aborted,
      lingering: this.#lingering,
    });
    if (action === "close") this.#socket.end();
    if (action !== "linger") return;
    // Input left unread: read and drop it until the peer's FIN, so closing does not reset.
    this.#socket.shutdown();
    this.#lingering = true;
    startLinger(this);
    this.#socket.resume();
  }
}
