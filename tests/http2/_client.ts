/**
 * A raw HTTP/2 client for the tests that play a hostile peer: it writes
 * exactly the frames a test gives it over a plain TCP socket (`node:net`, on
 * Deno, Bun and Node) and reads the server's frames with the library's own
 * parser, decoding header blocks in order. It ACKs the server's SETTINGS
 * (unless told not to) and nothing else: no WINDOW_UPDATE, no PING answer.
 *
 * @module
 */
import { connect, type Socket } from "node:net";
import {
  CONNECTION_PREFACE,
  errorCodeName,
  type Frame,
  FrameFlag,
  FrameParser,
  FrameType,
  HpackDecoder,
  HpackEncoder,
  type Http2Settings,
  serializeData,
  serializeFrame,
  serializeHeaders,
  serializeRstStream,
  serializeSettings,
  SETTINGS_ACK,
} from "../../http2/mod.ts";
import { concatBytes } from "../../internal/bytes.ts";

/** A frame the server sent, with its header block decoded (HEADERS). */
export type Received = Frame & { fields?: [string, string][] };

/** A stream's answer: status, fields and body, or how it was reset. */
export interface StreamAnswer {
  status: number;
  fields: [string, string][];
  body: string;
  /** The RST_STREAM error code, when the server reset the stream instead of ending it. */
  reset?: number;
}

/** Options of {@linkcode H2Client.connect}. */
export interface H2ClientOptions {
  /** The client's SETTINGS (default: none, the protocol's initial values). */
  settings?: Partial<Http2Settings>;
  /** ACK the server's SETTINGS (default `true`). */
  ackSettings?: boolean;
}

const decoder = new TextDecoder();

/** A GOAWAY frame's fields (also for tests that assert on one). */
export type Goaway = Extract<Frame, { type: 7 }>;

/**
 * One connection to an HTTP/2 server, driven frame by frame.
 *
 * @example
 * ```ts ignore
 * const client = await H2Client.connect(port);
 * client.request(1, "/");
 * console.log((await client.answer(1)).status); // 200
 * client.close();
 * ```
 */
export class H2Client {
  /** Every frame received so far, in order. */
  readonly frames: Received[] = [];
  readonly #socket: Socket;
  readonly #parser = new FrameParser({ preface: false });
  readonly #decoder = new HpackDecoder({ maxHeaderListSize: 1 << 20 });
  readonly #encoder = new HpackEncoder();
  readonly #ackSettings: boolean;
  #closed = false;
  #problem: string | null = null;
  #wake: (() => void)[] = [];

  private constructor(socket: Socket, options: H2ClientOptions) {
    this.#socket = socket;
    this.#ackSettings = options.ackSettings ?? true;
    socket.on("data", (chunk: Uint8Array) => this.#receive(chunk));
    socket.on("error", () => {}); // a reset shows as the close that follows
    socket.on("close", () => {
      this.#closed = true;
      this.#notify();
    });
  }

  /** Connects to `127.0.0.1:port` and sends the preface and SETTINGS. */
  static async connect(port: number, options: H2ClientOptions = {}): Promise<H2Client> {
    const socket = connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const client = new H2Client(socket, options);
    client.send(CONNECTION_PREFACE, serializeSettings(options.settings ?? {}));
    return client;
  }

  /** Whether the server has closed the connection (or it was reset). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Writes bytes as they are, in one write. */
  send(...chunks: Uint8Array[]): void {
    if (!this.#closed) this.#socket.write(chunks.length === 1 ? chunks[0] : concatBytes(chunks));
  }

  /** A frame of any type, as given. */
  frame(type: number, flags: number, streamId: number, payload?: Uint8Array): void {
    this.send(serializeFrame(type, flags, streamId, payload));
  }

  /** The bytes of a request's HEADERS (with END_HEADERS), for tests that batch frames. */
  requestBytes(
    streamId: number,
    path: string,
    options: { method?: string; endStream?: boolean; fields?: [string, string][] } = {},
  ): Uint8Array {
    const block = this.#encoder.encode([
      [":method", options.method ?? "GET"],
      [":scheme", "http"],
      [":authority", "localhost"],
      [":path", path],
      ...(options.fields ?? []),
    ]);
    return serializeHeaders(streamId, block, options.endStream ?? true);
  }

  /** Sends a request's HEADERS (`GET`, END_STREAM, unless told otherwise). */
  request(
    streamId: number,
    path: string,
    options: { method?: string; endStream?: boolean; fields?: [string, string][] } = {},
  ): void {
    this.send(this.requestBytes(streamId, path, options));
  }

  /** Sends DATA on a stream. */
  data(streamId: number, bytes: Uint8Array, endStream: boolean): void {
    this.send(serializeData(streamId, bytes, endStream));
  }

  /** Sends RST_STREAM. */
  reset(streamId: number, code: number): void {
    this.send(serializeRstStream(streamId, code));
  }

  /**
   * The first frame received (from the start of the connection) that
   * `match` accepts; rejects, saying what arrived, if none has after
   * `ms` or by the time the connection closes.
   */
  async waitFor(match: (frame: Received) => boolean, what: string, ms = 10_000): Promise<Received> {
    const deadline = Date.now() + ms;
    for (let seen = 0;;) {
      for (; seen < this.frames.length; seen++) {
        if (match(this.frames[seen])) return this.frames[seen];
      }
      if (this.#problem !== null) throw new Error(`waiting for ${what}: ${this.#problem}`);
      if (this.#closed) throw new Error(`closed before ${what}; received ${this.summary()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} in ${ms} ms; received ${this.summary()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The server's GOAWAY. */
  async goaway(ms = 10_000): Promise<Goaway> {
    return await this.waitFor((f) => f.type === FrameType.GOAWAY, "GOAWAY", ms) as Goaway;
  }

  /** Resolves once the server has closed the connection; rejects after `ms`. */
  async whenClosed(ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.#closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`connection still open after ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The answer on `streamId`: once its END_STREAM or RST_STREAM has arrived. */
  async answer(streamId: number, ms = 10_000): Promise<StreamAnswer> {
    const last = await this.waitFor(
      (f) =>
        f.streamId === streamId &&
        (f.type === FrameType.RST_STREAM ||
          ((f.type === FrameType.DATA || f.type === FrameType.HEADERS) && f.endStream)),
      `the end of stream ${streamId}`,
      ms,
    );
    const answer: StreamAnswer = { status: 0, fields: [], body: "" };
    for (const f of this.frames.filter((f) => f.streamId === streamId)) {
      if (f.type === FrameType.HEADERS && answer.status === 0) {
        answer.fields = f.fields!;
        answer.status = Number(f.fields!.find(([name]) => name === ":status")?.[1] ?? 0);
      } else if (f.type === FrameType.DATA) {
        answer.body += decoder.decode(f.data, { stream: true });
      }
    }
    if (last.type === FrameType.RST_STREAM) answer.reset = last.errorCode;
    return answer;
  }

  /** Frames received, as `TYPE(stream)` and error codes, for failure messages. */
  summary(): string {
    const names = Object.keys(FrameType);
    const parts = this.frames.map((f) => {
      const name = names[f.type] ?? f.type;
      const code = f.type === FrameType.GOAWAY || f.type === FrameType.RST_STREAM
        ? ` ${errorCodeName(f.errorCode)}`
        : "";
      return `${name}(${f.streamId}${code})`;
    });
    const shown = parts.length > 20 ? [...parts.slice(0, 10), "...", ...parts.slice(-10)] : parts;
    return `${parts.length} frames: ${shown.join(" ")}${this.#closed ? ", then close" : ""}`;
  }

  /** Closes the connection (a reset, as an attacker leaving would). */
  close(): void {
    this.#socket.destroy();
  }

  #receive(chunk: Uint8Array): void {
    if (this.#problem !== null) return;
    try {
      this.#parser.push(chunk);
      for (let f = this.#parser.next(); f !== null; f = this.#parser.next()) {
        const frame: Received = f;
        if (f.type === FrameType.DATA) f.data = f.data.slice(); // the view outlives the chunk
        if (f.type === FrameType.HEADERS) {
          const flat = this.#decoder.decode(f.headerBlock);
          frame.fields = [];
          for (let i = 0; i < flat.length; i += 2) frame.fields.push([flat[i], flat[i + 1]]);
        }
        if (f.type === FrameType.SETTINGS && !f.ack && this.#ackSettings) this.send(SETTINGS_ACK);
        this.frames.push(frame);
      }
    } catch (error) {
      this.#problem = `the server sent a bad frame: ${(error as Error).message}`;
      this.close();
    }
    this.#notify();
  }

  #notify(): void {
    for (const wake of this.#wake.splice(0)) wake();
  }
}

/** The flags of a HEADERS frame that ends the block and the stream. */
export const END_HEADERS_AND_STREAM: number = FrameFlag.END_HEADERS | FrameFlag.END_STREAM;
