import type { Socket } from "node:net";
import type { ConnectionInfo, Transport } from "../core/transport.ts";
import { PushReadable, type PushSocketControl } from "./_push_readable.ts";
import { closeAction, endLinger, LINGER_EXPIRED, type Lingerer, startLinger } from "./_timing.ts";
import { type SocketSink, socketWritable } from "./_socket_writable.ts";
import {
  DIRECT_SINK,
  DIRECT_SOURCE,
  type DirectSink,
  type DirectSource,
} from "../internal/direct_io.ts";

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** Where a socket's listeners find its transport. */
const TRANSPORT: unique symbol = Symbol("hussar.transport");
type OwnedSocket = Socket & { [TRANSPORT]: NodeSocketTransport };

/**
 * One `node:net` (or `node:tls`) socket as a {@linkcode Transport}. The
 * socket must come paused, with `allowHalfOpen`, so that nothing is read
 * before the consumer asks and a peer's FIN does not end our side.
 *
 * The transport is also the control of its input (`pause`, `resume`,
 * `cancelled`) and the sink of its output (`write`, `writev`, `end`,
 * `abort`), and the socket's listeners are shared by every socket: closures
 * per socket cost each idle connection about 0.8 KiB. `drain` and `finish`
 * are listened to only while waited for. Those methods are for the
 * transport's own input and output; use `readable` and `writable`.
 */
export class NodeSocketTransport implements Transport, PushSocketControl, SocketSink, Lingerer {
  readonly info: ConnectionInfo;
  /** Our output as a stream, made only if asked for (the owning connection writes directly). */
  #writable: WritableStream<Uint8Array> | null = null;
  readonly #socket: Socket;
  readonly #input: PushReadable;
  #peerEnded = false;
  #writeDone = false;
  #failure: unknown = null;
  #drain: Waiter | null = null;
  #finish: Waiter | null = null;
  #lingering = false;

  constructor(socket: Socket, info: ConnectionInfo) {
    this.#socket = socket;
    this.info = info;
    // `pauseOnConnect` gives it paused (`readableFlowing` false): a `pause()` more per accept
    // only emits nothing. A TLS socket comes flowing.
    if (socket.readableFlowing !== false) socket.pause();
    // Node runs each `data` callback in a callback scope of its own, its microtasks right after
    // it, and reads up to 32 times per poll: a reader resumed there gets a fresh budget per chunk
    // (see `DirectSource.ownTask`), so a body's chunks do not wait for a host task and pause the
    // socket past the scheduler's microtask budget.
    this.#input = new PushReadable(this, false, true);
    (socket as OwnedSocket)[TRANSPORT] = this;
    socket.on("data", NodeSocketTransport.#onData);
    socket.on("end", NodeSocketTransport.#onEnd);
    socket.on("error", NodeSocketTransport.#onError);
    socket.on("close", NodeSocketTransport.#onClose);
  }

  static #onData(this: OwnedSocket, chunk: Uint8Array): void {
    // A plain view, not the Buffer: Buffer#slice shares memory where Uint8Array#slice copies.
    this[TRANSPORT].#input.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }

  static #onEnd(this: OwnedSocket): void {
    const transport = this[TRANSPORT];
    transport.#peerEnded = true;
    transport.#input.end();
    transport.#settle();
  }

  static #onDrain(this: OwnedSocket): void {
    this.off("drain", NodeSocketTransport.#onDrain);
    const transport = this[TRANSPORT];
    const drain = transport.#drain;
    transport.#drain = null;
    drain?.resolve();
  }

  static #onFinish(this: OwnedSocket): void {
    this.off("finish", NodeSocketTransport.#onFinish);
    const transport = this[TRANSPORT];
    const finish = transport.#finish;
    transport.#finish = null;
    finish?.resolve();
  }

  static #onError(this: OwnedSocket, error: Error): void {
    this[TRANSPORT].#failure ??= error;
  }

  static #onClose(this: OwnedSocket): void {
    const transport = this[TRANSPORT];
    if (transport.#lingering) endLinger(transport);
    const drain = transport.#drain;
    const finish = transport.#finish;
    // An Error (and its stack) only for someone still waiting: every closing connection comes here.
    if (!transport.#input.open && drain === null && finish === null) return;
    const error = transport.#failure ?? new Error("connection closed");
    transport.#input.fail(error);
    drain?.reject(error);
    finish?.reject(error);
    transport.#drain = transport.#finish = null;
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

  /** Input control: stop reading. */
  pause(): void {
    this.#socket.pause();
  }

  /** Input control: read again. */
  resume(): void {
    this.#socket.resume();
  }

  /** Input control: the reader is done. */
  cancelled(): void {
    this.#settle();
  }

  /** Output sink: one buffer (a response, most often: no array made for it). */
  write(chunk: Uint8Array): Promise<void> | void {
    const socket = this.#socket;
    if (socket.destroyed) throw this.#failure ?? new Error("connection closed");
    return this.#written(socket.write(chunk));
  }

  /** Output sink: corked, so Node sends the buffers with one `writev` instead of one write each. */
  writev(chunks: readonly Uint8Array[]): Promise<void> | void {
    const socket = this.#socket;
    if (socket.destroyed) throw this.#failure ?? new Error("connection closed");
    let below = true;
    socket.cork();
    for (const chunk of chunks) below = socket.write(chunk);
    socket.uncork();
    return this.#written(below);
  }

  /**
   * `below` true: Node took the bytes and its buffer is below its mark. Else
   * wait for it to drain, unless the kernel took them all already (Node then
   * emits its `drain` on the next tick, to nobody): a large write to a peer
   * that keeps up makes no Promise and no wait.
   */
  #written(below: boolean): Promise<void> | void {
    if (below || this.#socket.writableLength === 0) return;
    this.#socket.on("drain", NodeSocketTransport.#onDrain);
    return new Promise((resolve, reject) => (this.#drain = { resolve, reject }));
  }

  /** Output sink: our FIN, once every write has settled. */
  end(): Promise<void> | void {
    const socket = this.#socket;
    if (socket.destroyed) return Promise.reject(this.#failure ?? new Error("connection closed"));
    if (
      !this.#input.open && !this.#input.cancelled && !this.info.tls && socket.writableLength === 0
    ) {
      // Input over (the peer's FIN, or its last request read whole) and every byte with the kernel:
      // close(2) sends them and then our FIN (RFC 9293 §3.6), as a shutdown first would, without
      // that system call and Node's end-of-stream steps. TLS ends with its close_notify.
      this.#writeDone = true;
      socket.destroy();
      return;
    }
    return new Promise<void>((resolve, reject) => {
      this.#finish = { resolve, reject };
      this.#socket.on("finish", NodeSocketTransport.#onFinish);
      this.#socket.end();
    }).then(() => {
      this.#writeDone = true;
      this.#settle();
    });
  }

  /** Output sink: a reset. */
  abort(): void {
    this.#writeDone = true;
    this.#failure ??= new Error("connection aborted");
    // Once end() has sent our FIN, a reset is too late to say anything, and Node 20 spins its
    // event loop when a reset follows a pending shutdown: just destroy.
    if (this.#socket.writableEnded || this.#socket.destroyed) return void this.#socket.destroy();
    try {
      // A reset tells the peer the exchange failed (a TCP handle only; TLS and pipes throw).
      this.#socket.resetAndDestroy();
    } catch {
      this.#socket.destroy();
    }
  }

  /** The peer did not end its side in time. */
  [LINGER_EXPIRED](): void {
    this.#socket.destroy();
  }

  /** Closes the socket once both directions are done with it. */
  #settle(): void {
    const action = closeAction({
      writeDone: this.#writeDone,
      inputOpen: this.#input.open,
      inputCancelled: this.#input.cancelled,
      peerEnded: this.#peerEnded,
      closed: this.#socket.destroyed,
      lingering: this.#lingering,
    });
    if (action === "close") this.#socket.destroy();
    if (action !== "linger") return;
    // Input left unread: read and drop it until the peer's FIN, so closing does not reset.
    this.#lingering = true;
    startLinger(this);
    this.#socket.resume();
  }
}
