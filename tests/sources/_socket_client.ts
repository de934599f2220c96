/**
 * A raw `node:net`/`node:tls` client for the source tests (it runs on Deno,
 * Bun and Node alike), and small helpers to bound waits.
 */
import { connect as netConnect, createServer, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import type { Transport } from "../../core/mod.ts";

/** A port nothing listens on at the moment (the kernel's pick, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Rejects with `what` if `promise` has not settled within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `promise` is still pending after `ms`. */
export async function stillPending(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  await sleep(ms);
  return !settled;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Where to connect. */
export type Target = { port: number; host: string } | { path: string };

/** The client end of a test connection. */
export class Client {
  readonly socket: Socket;
  #chunks: Uint8Array[] = [];
  #received = 0;
  #waiters: (() => void)[] = [];
  /** Resolves when the server's FIN arrived. */
  readonly ended: Promise<void>;
  /** Resolves once the socket closed, with the error that closed it (or null). */
  readonly closed: Promise<Error | null>;
  #error: Error | null = null;
  #isClosed = false;

  constructor(socket: Socket) {
    this.socket = socket;
    this.ended = new Promise((resolve) => socket.once("end", () => resolve()));
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.#isClosed = true;
        this.#wake();
        resolve(this.#error);
      })
    );
    socket.on("error", (error) => (this.#error = error));
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#received += chunk.length;
      this.#wake();
    });
    socket.on("end", () => this.#wake());
  }

  /** Bytes received so far. */
  get received(): number {
    return this.#received;
  }

  /** Everything received so far. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.#received);
    let offset = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  /** Everything received so far, as UTF-8 text. */
  text(): string {
    return decoder.decode(this.bytes());
  }

  /** Sends bytes; resolves once the runtime flushed them to the kernel. */
  write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    return new Promise((resolve, reject) => {
      this.socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Waits until `n` bytes arrived in all (or the socket closed). */
  async waitForBytes(n: number, ms = 5000): Promise<void> {
    await within(
      (async () => {
        while (this.#received < n && !this.#isClosed) {
          await new Promise<void>((resolve) => this.#waiters.push(resolve));
        }
      })(),
      ms,
      `${n} bytes from the server (got ${this.#received})`,
    );
  }

  /** Sends our FIN. */
  end(): void {
    this.socket.end();
  }

  /** Closes the socket now (and for good). */
  destroy(): void {
    this.socket.destroy();
  }

  #wake(): void {
    for (const resolve of this.#waiters.splice(0)) resolve();
  }
}

/** Connects over TCP or a Unix socket; the server's FIN does not end our side. */
export function connect(target: Target): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = "path" in target
      ? netConnect({ path: target.path, allowHalfOpen: true })
      : netConnect({ port: target.port, host: target.host, allowHalfOpen: true });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(new Client(socket));
    });
  });
}

/** Connects over TLS without checking the (self-signed) certificate. */
export function connectTls(port: number, alpn?: string[]): Promise<Client & { socket: TLSSocket }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: "127.0.0.1",
      port,
      rejectUnauthorized: false,
      ...(alpn ? { ALPNProtocols: alpn } : {}),
    });
    socket.once("error", reject);
    socket.once("secureConnect", () => {
      socket.off("error", reject);
      resolve(new Client(socket) as Client & { socket: TLSSocket });
    });
  });
}

/** Whether connecting is refused (nobody listens). */
export function refused(target: Target): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = "path" in target
      ? netConnect(target.path)
      : netConnect(target.port, target.host);
    socket.once("error", () => resolve(true));
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Collects the transports a source accepts, in order. */
export class Accepted {
  #transports: Transport[] = [];
  #waiters: ((transport: Transport) => void)[] = [];
  readonly accept = (transport: Transport): void => {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(transport);
    else this.#transports.push(transport);
  };

  /** The next accepted transport. */
  next(ms = 5000): Promise<Transport> {
    const transport = this.#transports.shift();
    if (transport) return Promise.resolve(transport);
    return within(
      new Promise<Transport>((resolve) => this.#waiters.push(resolve)),
      ms,
      "an accepted connection",
    );
  }
}

/** Reads from `reader` until `n` bytes came (or the end). */
export async function readBytes(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  n: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let offset = 0;
  while (offset < n) {
    const { done, value } = await reader.read();
    if (done) break;
    out.set(value.subarray(0, n - offset), offset);
    offset += value.length;
  }
  return out.subarray(0, Math.min(offset, n));
}

/** Reads everything until the end. */
export async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    text += decoder.decode(value, { stream: true });
  }
}

/** `size` bytes with a pattern that shows reordering or loss. */
export function pattern(size: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + seed + (i >> 8)) & 0xff;
  return bytes;
}
