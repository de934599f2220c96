import type { Socket } from "node:net";
import type { ConnectionInfo, Transport } from "../core/transport.ts";
import { PushReadable } from "./_push_readable.ts";
import { LINGER_MS, unrefTimeout } from "./_timing.ts";
import { SocketOutput } from "./_socket_writable.ts";
import {
  DIRECT_SINK,
  DIRECT_SOURCE,
  type DirectSink,
  type DirectSource,
} from "../core/_direct_io.ts";

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * One `node:net` (or `node:tls`) socket as a {@linkcode Transport}. The
 * socket must come paused, with `allowHalfOpen`, so that nothing is read
 * before the consumer asks and a peer's FIN does not end our side.
 */
export class NodeSocketTransport implements Transport {
  readonly info: ConnectionInfo;
  readonly #output: SocketOutput;
  readonly #socket: Socket;
  readonly #input: PushReadable;
  #peerEnded = false;
  #writeDone = false;
  #failure: unknown = null;
  #drain: Waiter | null = null;
  #finish: Waiter | null = null;
  #stopLinger: (() => void) | null = null;

  constructor(socket: Socket, info: ConnectionInfo) {
    this.#socket = socket;
    this.info = info;
    socket.pause();
    this.#input = new PushReadable({
      pause: () => socket.pause(),
      resume: () => socket.resume(),
      cancelled: () => this.#settle(),
    });
    socket.on("data", (chunk: Uint8Array) => {
      // A plain view, not the Buffer: Buffer#slice shares memory where Uint8Array#slice copies.
      this.#input.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    socket.on("end", () => {
      this.#peerEnded = true;
      this.#input.end();
      this.#settle();
    });
    socket.on("drain", () => {
      const drain = this.#drain;
      this.#drain = null;
      drain?.resolve();
    });
    socket.on("finish", () => {
      const finish = this.#finish;
      this.#finish = null;
      finish?.resolve();
    });
    socket.on("error", (error: Error) => {
      this.#failure ??= error;
    });
    socket.on("close", () => {
      this.#stopLinger?.();
      const error = this.#failure ?? new Error("connection closed");
      this.#input.fail(error);
      for (const waiter of [this.#drain, this.#finish]) waiter?.reject(error);
      this.#drain = this.#finish = null;
    });
    this.#output = new SocketOutput({
      write: (chunk) => this.#write(chunk),
      writev: (chunks) => this.#writev(chunks),
      end: () => this.#end(),
      abort: () => this.#abort(),
    });
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
    return this.#output.stream;
  }

  /** The direct sink for the connection that owns this transport. */
  [DIRECT_SINK](): DirectSink | null {
    return this.#output.direct();
  }

  #write(chunk: Uint8Array): Promise<void> | void {
    return this.#writev([chunk]);
  }

  /** Corked, so Node sends the buffers with one `writev` instead of one write each. */
  #writev(chunks: readonly Uint8Array[]): Promise<void> | void {
    const socket = this.#socket;
    if (socket.destroyed) throw this.#failure ?? new Error("connection closed");
    let below = true;
    if (chunks.length === 1) {
      below = socket.write(chunks[0]);
    } else {
      socket.cork();
      for (const chunk of chunks) below = socket.write(chunk);
      socket.uncork();
    }
    // true: Node took the bytes and its buffer is below its mark; false: wait for it to drain.
    if (below) return;
    return new Promise((resolve, reject) => (this.#drain = { resolve, reject }));
  }

  #end(): Promise<void> {
    if (this.#socket.destroyed) {
      return Promise.reject(this.#failure ?? new Error("connection closed"));
    }
    return new Promise<void>((resolve, reject) => {
      this.#finish = { resolve, reject };
      this.#socket.end();
    }).then(() => {
      this.#writeDone = true;
      this.#settle();
    });
  }

  #abort(): void {
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

  /** Closes the socket once both directions are done with it. */
  #settle(): void {
    if (!this.#writeDone || this.#input.open || this.#socket.destroyed) return;
    if (this.#peerEnded || !this.#input.cancelled) {
      this.#socket.destroy();
      return;
    }
    if (this.#stopLinger !== null) return;
    // Input left unread: read and drop it until the peer's FIN, so closing does not reset.
    this.#stopLinger = unrefTimeout(() => this.#socket.destroy(), LINGER_MS);
    this.#socket.resume();
  }
}
