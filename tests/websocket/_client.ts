/**
 * A raw RFC 6455 client on `node:net` for the WebSocket tests: it runs on
 * Deno, Bun and Node alike (Node 20 has no global `WebSocket`), and can
 * send what no well-behaved client would (unmasked frames, bad codes,
 * frames split at any byte).
 */
import { connect, type Socket } from "node:net";
import { encodeFrame, type Frame, FrameParser, OPCODE } from "../../websocket/_frame.ts";
import { within } from "../sources/_socket_client.ts";

export { within };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the server answered to the handshake. */
export interface HandshakeAnswer {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Options of {@linkcode RawWebSocket.open}. */
export interface OpenOptions {
  path?: string;
  /** Header lines replacing the defaults (name → value; null removes one). */
  headers?: Record<string, string | null>;
  /** Largest frame accepted from the server (default 64 MiB). */
  maxPayload?: number;
  /** Bytes sent in the same write as the handshake (frames before the 101 arrives). */
  early?: Uint8Array;
  /** Request line version (default "1.1"). */
  version?: string;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A client connection: the handshake answer, then frames both ways. */
export class RawWebSocket {
  readonly socket: Socket;
  readonly answer: HandshakeAnswer;
  readonly #parser: FrameParser;
  #frames: Frame[] = [];
  #waiters: (() => void)[] = [];
  #ended = false;
  #error: Error | null = null;
  /** Resolves once the TCP connection is fully closed. */
  readonly closed: Promise<void>;

  private constructor(socket: Socket, answer: HandshakeAnswer, rest: Uint8Array, max: number) {
    this.socket = socket;
    this.answer = answer;
    this.#parser = new FrameParser({ masked: false, maxPayload: max, rsv1: true }); // RSV1: frame.rsv1
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk: Uint8Array) => this.#take(chunk));
    socket.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#wake();
    });
    if (rest.length > 0) this.#take(rest);
  }

  /** Sends a handshake to `port` and resolves once the answer's head has arrived. */
  static open(port: number, options: OpenOptions = {}): Promise<RawWebSocket> {
    const headers: Record<string, string | null> = {
      host: `127.0.0.1:${port}`,
      upgrade: "websocket",
      connection: "Upgrade",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
      ...options.headers,
    };
    let head = `GET ${options.path ?? "/"} HTTP/${options.version ?? "1.1"}\r\n`;
    for (const [name, value] of Object.entries(headers)) {
      if (value !== null) head += `${name}: ${value}\r\n`;
    }
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => {
        const bytes = encoder.encode(head + "\r\n");
        const early = options.early ?? new Uint8Array(0);
        const all = new Uint8Array(bytes.length + early.length);
        all.set(bytes);
        all.set(early, bytes.length);
        socket.write(all);
      });
      let buffer = new Uint8Array(0);
      const onData = (chunk: Uint8Array): void => {
        const joined = new Uint8Array(buffer.length + chunk.length);
        joined.set(buffer);
        joined.set(chunk, buffer.length);
        buffer = joined;
        const end = indexOfHeadEnd(buffer);
        if (end === -1) return;
        socket.off("data", onData);
        socket.off("error", reject);
        const answer = parseHead(decoder.decode(buffer.subarray(0, end)));
        let rest = buffer.subarray(end + 4);
        // A refusal carries a body; take what arrived of it as text.
        if (answer.status !== 101) {
          answer.body = decoder.decode(rest);
          rest = new Uint8Array(0);
        }
        const client = new RawWebSocket(socket, answer, rest, options.maxPayload ?? 64 << 20);
        socket.on("error", (error) => (client.#error = error));
        resolve(client);
      };
      socket.on("data", onData);
      socket.on("error", reject);
    });
  }

  /** Sends a frame, masked with a random key unless `mask: null`. */
  send(
    opcode: number,
    payload: Uint8Array | string = new Uint8Array(0),
    options: { fin?: boolean; mask?: Uint8Array | null } = {},
  ): void {
    const bytes = typeof payload === "string" ? encoder.encode(payload) : payload;
    const mask = options.mask === null
      ? undefined
      : options.mask ?? crypto.getRandomValues(new Uint8Array(4));
    this.socket.write(encodeFrame(opcode, bytes, { fin: options.fin, mask }));
  }

  /** Sends a text message. */
  sendText(text: string): void {
    this.send(OPCODE.text, text);
  }

  /** Sends a close frame with a code and reason (or an empty one). */
  sendClose(code?: number, reason = ""): void {
    if (code === undefined) return this.send(OPCODE.close);
    const text = encoder.encode(reason);
    const payload = new Uint8Array(2 + text.length);
    payload[0] = code >> 8;
    payload[1] = code & 0xff;
    payload.set(text, 2);
    this.send(OPCODE.close, payload);
  }

  /** Writes raw bytes. */
  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next frame from the server, or null once it closed the connection. */
  async next(ms = 5000): Promise<Frame | null> {
    const deadline = Date.now() + ms;
    while (this.#frames.length === 0) {
      if (this.#ended) return null;
      if (this.#error !== null) throw this.#error;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${ms} ms`);
      await within(new Promise<void>((resolve) => this.#waiters.push(resolve)), left, "a frame");
    }
    return this.#frames.shift() as Frame;
  }

  /** The next frame, which must be a close: its code and reason. */
  async nextClose(ms = 5000): Promise<{ code: number | null; reason: string }> {
    for (;;) {
      const frame = await this.next(ms);
      if (frame === null) throw new Error("the server closed without a close frame");
      if (frame.opcode !== OPCODE.close) continue;
      if (frame.payload.length < 2) return { code: null, reason: "" };
      const code = (frame.payload[0] << 8) | frame.payload[1];
      return { code, reason: decoder.decode(frame.payload.subarray(2)) };
    }
  }

  /** Whether the server has ended the TCP connection. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Closes the TCP connection now. */
  destroy(): void {
    this.socket.destroy();
  }

  #take(chunk: Uint8Array): void {
    this.#frames.push(...this.#parser.push(chunk));
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}

function indexOfHeadEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

function parseHead(text: string): HandshakeAnswer {
  const [statusLine, ...lines] = text.split("\r\n");
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body: "" };
}
