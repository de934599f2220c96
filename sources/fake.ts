import type { ConnectionInfo, NetAddress, Source, Transport } from "../core/transport.ts";
import { concatBytes } from "../internal/bytes.ts";

/** Options for {@linkcode FakeSource.connect}. */
export interface FakeConnectOptions {
  /** The client's address as the server sees it (default 127.0.0.1, an increasing port). */
  remoteAddr?: NetAddress;
  /** Pretend the connection is TLS (default `false`). */
  tls?: boolean;
  /** Start with reading paused: the server's writes stay pending (a slow reader). */
  paused?: boolean;
}

const encoder = new TextEncoder();
const LOCAL: NetAddress = { transport: "tcp", hostname: "127.0.0.1", port: 8000 };

/**
 * An in-memory source for deterministic tests: each {@linkcode FakeSource.connect}
 * makes a connection whose client side is a {@linkcode FakeClient}.
 *
 * @example
 * ```ts
 * import { FakeSource } from "@hussar/core/sources";
 * import { Hussar } from "@hussar/core/core";
 * const source = new FakeSource();
 * const hussar = new Hussar({
 *   *handler(conn) {
 *     const bytes = yield* conn.read();
 *     conn.write(bytes ?? new Uint8Array());
 *   },
 * });
 * hussar.attachSource(source);
 * const client = source.connect();
 * client.write("echo me");
 * console.log(await client.readText()); // echo me
 * await hussar.close();
 * ```
 */
export class FakeSource implements Source {
  #accept: ((transport: Transport) => void) | null = null;
  #backlog: Transport[] = [];
  #closed = false;
  #nextPort = 40000;

  /** Starts handing connections (including ones made before) to `accept`. */
  listen(accept: (transport: Transport) => void): void {
    if (this.#closed) throw new Error("FakeSource is closed");
    this.#accept = accept;
    const backlog = this.#backlog;
    this.#backlog = [];
    for (const transport of backlog) accept(transport);
  }

  /** Stops accepting: later `connect()` calls throw. */
  close(): void {
    this.#closed = true;
    this.#accept = null;
  }

  /** Opens a connection to the server and returns its client side. */
  connect(options: FakeConnectOptions = {}): FakeClient {
    if (this.#closed) throw new Error("connection refused: FakeSource is closed");
    const info: ConnectionInfo = {
      remoteAddr: options.remoteAddr ??
        { transport: "tcp", hostname: "127.0.0.1", port: this.#nextPort++ },
      localAddr: LOCAL,
      tls: options.tls ?? false,
    };
    const client = new FakeClient(info, options.paused ?? false);
    const transport = serverSide(client);
    if (this.#accept !== null) this.#accept(transport);
    else this.#backlog.push(transport);
    return client;
  }
}

/** The server side of a client, for `FakeSource.connect`. */
let serverSide: (client: FakeClient) => Transport;

/**
 * The client end of a fake connection: write bytes in any fragmentation,
 * end or reset the connection at any point, read what the server sent, and
 * pause reading to act as a slow reader.
 *
 * @example
 * ```ts
 * import { FakeSource } from "@hussar/core/sources";
 * const source = new FakeSource();
 * const client = source.connect({ paused: true });
 * client.write("GET / HTTP/1.1\r\n");
 * client.writeSplit("Host: x\r\n\r\n", 1); // one byte per chunk
 * client.resume();
 * client.end();
 * console.log(client.ended); // false until the server closes
 * ```
 */
export class FakeClient {
  /** The server side. */
  readonly #transport: Transport;
  static {
    serverSide = (client) => client.#transport;
  }
  #toServer!: ReadableStreamDefaultController<Uint8Array>;
  #inbox: Uint8Array[] = [];
  #received = 0;
  #serverEnded = false;
  #reset: Error | null = null;
  #clientEnded = false;
  #paused: boolean;
  #resumeWaiters: (() => void)[] = [];
  #readWaiters: (() => void)[] = [];

  /** @internal Made by {@linkcode FakeSource.connect}. */
  constructor(info: ConnectionInfo, paused: boolean) {
    this.#paused = paused;
    const readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#toServer = controller;
      },
    });
    const writable = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        if (this.#reset !== null) throw this.#reset;
        while (this.#paused) {
          await new Promise<void>((resolve) => this.#resumeWaiters.push(resolve));
          if (this.#reset !== null) throw this.#reset;
        }
        // Copy: the server may reuse its buffer once the write resolved.
        this.#inbox.push(chunk.slice());
        this.#received += chunk.length;
        this.#notifyReaders();
      },
      close: () => {
        this.#serverEnded = true;
        this.#notifyReaders();
      },
      abort: () => {
        this.#serverEnded = true;
        this.#notifyReaders();
      },
    });
    this.#transport = { readable, writable, info };
  }

  /** Bytes received from the server so far. */
  get receivedBytes(): number {
    return this.#received;
  }

  /** Whether the server has closed (or aborted) its side. */
  get ended(): boolean {
    return this.#serverEnded;
  }

  /** Sends bytes (a string is UTF-8 encoded) to the server as one chunk. */
  write(data: string | Uint8Array): void {
    if (this.#clientEnded || this.#reset !== null) throw new Error("the client side is closed");
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    try {
      this.#toServer.enqueue(bytes);
    } catch {
      // The server stopped reading (closed its side); bytes fall on the floor as on TCP.
    }
  }

  /** Sends `data` as chunks of `size` bytes (to prove a parser does not care how bytes arrive). */
  writeSplit(data: string | Uint8Array, size: number): void {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    for (let i = 0; i < bytes.length; i += size) this.write(bytes.subarray(i, i + size));
  }

  /** Ends the client's side (half-close, like TCP FIN): the server reads end-of-stream. */
  end(): void {
    if (this.#clientEnded) return;
    this.#clientEnded = true;
    try {
      this.#toServer.close();
    } catch {
      // Already closed by the server cancelling its reader.
    }
  }

  /** Resets the connection: the server's pending and later reads and writes fail. */
  disconnect(): void {
    if (this.#reset !== null) return;
    this.#reset = new Error("connection reset by peer");
    this.#clientEnded = true;
    try {
      this.#toServer.error(this.#reset);
    } catch {
      // The server already cancelled its reader.
    }
    this.resume();
  }

  /** Stops accepting server bytes: the server's writes stay pending (backpressure). */
  pause(): void {
    this.#paused = true;
  }

  /** Accepts server bytes again. */
  resume(): void {
    this.#paused = false;
    const waiters = this.#resumeWaiters;
    this.#resumeWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** The next chunk from the server, or `null` once the server closed and all was read. */
  async read(): Promise<Uint8Array | null> {
    while (this.#inbox.length === 0) {
      if (this.#serverEnded || this.#reset !== null) return null;
      await new Promise<void>((resolve) => this.#readWaiters.push(resolve));
    }
    return this.#inbox.shift() as Uint8Array;
  }

  /** Everything the server sends until it closes its side. */
  async readAll(): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    for (let chunk = await this.read(); chunk !== null; chunk = await this.read()) {
      chunks.push(chunk);
    }
    return concatBytes(chunks);
  }

  /** {@linkcode FakeClient.readAll} as latin1 text (byte-exact for HTTP heads). */
  async readText(): Promise<string> {
    const bytes = await this.readAll();
    let text = "";
    for (let i = 0; i < bytes.length; i += 8192) {
      text += String.fromCharCode(...bytes.subarray(i, i + 8192));
    }
    return text;
  }

  /** Takes what has arrived so far, without waiting, as latin1 text. */
  takeText(): string {
    let text = "";
    for (const chunk of this.#inbox.splice(0)) {
      for (let i = 0; i < chunk.length; i += 8192) {
        text += String.fromCharCode(...chunk.subarray(i, i + 8192));
      }
    }
    return text;
  }

  /** Waits until at least `bytes` bytes have arrived in total, or the server ended. */
  async waitForBytes(bytes: number): Promise<void> {
    while (this.#received < bytes && !this.#serverEnded && this.#reset === null) {
      await new Promise<void>((resolve) => this.#readWaiters.push(resolve));
    }
  }

  #notifyReaders(): void {
    const waiters = this.#readWaiters;
    this.#readWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
