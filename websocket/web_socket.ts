import type { ByteDuplex } from "./duplex.ts";
import { compressedLimit, type DeflateParams, PerMessageDeflate } from "./_deflate.ts";
import { CANCEL, RUN } from "./_socket_slots.ts";
import {
  closePayload,
  encodeFrame,
  type Frame,
  FrameParser,
  OPCODE,
  parseClosePayload,
  ProtocolViolation,
} from "./_frame.ts";
import { MessageAssembler } from "./_message.ts";

/** How binary messages are delivered: `ArrayBuffer` (the default on a server, as in Deno) or `Blob`. */
export type WebSocketBinaryType = "arraybuffer" | "blob";

/** Data `send()` accepts, as the standard `WebSocket` does. */
export type WebSocketData = string | ArrayBufferLike | ArrayBufferView | Blob;

/** @internal Resolved settings of one socket (see `UpgradeWebSocketOptions`). */
export interface WebSocketSettings {
  url: string;
  protocol: string;
  maxMessageSize: number;
  maxBufferedAmount: number;
  idleTimeoutMs: number;
  closeTimeoutMs: number;
  /** permessage-deflate as negotiated, with its `Sec-WebSocket-Extensions` answer; null: off. */
  deflate: { params: DeflateParams; header: string; threshold: number } | null;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * An `on<event>` handler of {@linkcode UpgradedWebSocket}, or null.
 *
 * @example
 * ```ts
 * import type { WebSocketEventHandler } from "@hussar/core/websocket";
 * const onmessage: WebSocketEventHandler<MessageEvent> = (event) => console.log(event.data);
 * console.log(typeof onmessage); // function
 * ```
 */
export type WebSocketEventHandler<E extends Event> =
  | ((this: UpgradedWebSocket, event: E) => unknown)
  | null;

/**
 * What the `close` event carries: the standard `CloseEvent` fields (it is a
 * `CloseEvent` where the runtime has one; Node 20 has none).
 *
 * @example
 * ```ts
 * import type { WebSocketCloseEvent } from "@hussar/core/websocket";
 * const describe = (event: WebSocketCloseEvent) => `${event.code} ${event.reason} ${event.wasClean}`;
 * console.log(typeof describe); // function
 * ```
 */
export interface WebSocketCloseEvent extends Event {
  /** The close code: the peer's, ours on a failure, 1005 for none, 1006 for no close frame. */
  readonly code: number;
  /** The close reason ("" for none). */
  readonly reason: string;
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;
}

/** `CloseEvent` where the runtime has one (Deno, Bun, Node ≥ 23), a same-shaped `Event` otherwise. */
const CloseEventClass: new (type: string, init: CloseEventInit) => CloseEvent =
  (globalThis as { CloseEvent?: typeof CloseEvent }).CloseEvent ??
    class extends Event {
      readonly code: number;
      readonly reason: string;
      readonly wasClean: boolean;
      constructor(type: string, init: CloseEventInit) {
        super(type, init);
        this.code = init.code ?? 0;
        this.reason = init.reason ?? "";
        this.wasClean = init.wasClean ?? false;
      }
    } as unknown as typeof CloseEvent;

/** `ErrorEvent` where the runtime has one, a same-shaped `Event` otherwise (Node 20). */
const ErrorEventClass: new (type: string, init: ErrorEventInit) => ErrorEvent =
  (globalThis as { ErrorEvent?: typeof ErrorEvent }).ErrorEvent ??
    class extends Event {
      readonly message: string;
      readonly error: unknown;
      constructor(type: string, init: ErrorEventInit) {
        super(type, init);
        this.message = init.message ?? "";
        this.error = init.error;
      }
    } as unknown as typeof ErrorEvent;

/**
 * The server end of a WebSocket, as returned by `upgradeWebSocket()`: the
 * standard `WebSocket` interface (events `open`, `message`, `error`,
 * `close`; `send`, `close`, `readyState`, `bufferedAmount`, `binaryType`,
 * `protocol`). It opens once the 101 response has been written.
 *
 * Beyond the standard: incoming messages are limited in size (1009), pings
 * are answered at once, a silent peer is pinged and dropped
 * (`idleTimeout`), and reading pauses while the peer is not taking what
 * the server sends; past `maxBufferedAmount` the connection is dropped.
 *
 * @example
 * ```ts
 * import { serve } from "@hussar/core";
 * import { upgradeWebSocket } from "@hussar/core/websocket";
 * const server = serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (request) => {
 *   const { socket, response } = upgradeWebSocket(request);
 *   socket.onmessage = (event) => socket.send(`echo: ${event.data}`);
 *   return response;
 * });
 * await server.ready;
 * if (typeof WebSocket === "function") { // Node 20 has no client
 *   const client = new WebSocket(server.url.replace("http", "ws"));
 *   client.onopen = () => client.send("hi");
 *   const reply = await new Promise((resolve) => (client.onmessage = (e) => resolve(e.data)));
 *   console.log(reply); // echo: hi
 *   client.close();
 *   await new Promise((resolve) => (client.onclose = resolve));
 * }
 * await server.shutdown();
 * ```
 */
export class UpgradedWebSocket extends EventTarget {
  /** The socket is waiting for its 101 response to be written. */
  static readonly CONNECTING: number = CONNECTING;
  /** Messages flow. */
  static readonly OPEN: number = OPEN;
  /** A close frame was sent or is queued; waiting for the peer's. */
  static readonly CLOSING: number = CLOSING;
  /** Closed. */
  static readonly CLOSED: number = CLOSED;
  /** See {@linkcode UpgradedWebSocket.CONNECTING}. */
  readonly CONNECTING: number = CONNECTING;
  /** See {@linkcode UpgradedWebSocket.OPEN}. */
  readonly OPEN: number = OPEN;
  /** See {@linkcode UpgradedWebSocket.CLOSING}. */
  readonly CLOSING: number = CLOSING;
  /** See {@linkcode UpgradedWebSocket.CLOSED}. */
  readonly CLOSED: number = CLOSED;

  /** The request's URL with a `ws:` or `wss:` scheme. */
  readonly url: string;
  /** The subprotocol chosen in the handshake ("" for none). */
  readonly protocol: string;
  /** The extensions negotiated: `permessage-deflate` and its parameters, or "". */
  readonly extensions: string;

  readonly #settings: WebSocketSettings;
  readonly #deflate: PerMessageDeflate | null;
  readonly #threshold: number;
  #state = CONNECTING;
  #binaryType: WebSocketBinaryType = "arraybuffer";
  #duplex: ByteDuplex | null = null;
  #closeSent = false;
  #pendingClose: { code: number | undefined; reason: string } | null = null;
  #chain: Promise<void> | null = null;
  #chainBytes = 0;
  #handlers = new Map<string, WebSocketEventHandler<Event> | null>();
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #lastActivity = 0;
  #pingOutstanding = false;

  /** @internal Made by `upgradeWebSocket()`. */
  constructor(settings: WebSocketSettings) {
    super();
    this.#settings = settings;
    this.url = settings.url;
    this.protocol = settings.protocol;
    this.extensions = settings.deflate?.header ?? "";
    this.#deflate = settings.deflate === null
      ? null
      : new PerMessageDeflate(settings.deflate.params);
    this.#threshold = settings.deflate?.threshold ?? Infinity;
  }

  /** `CONNECTING` (0), `OPEN` (1), `CLOSING` (2) or `CLOSED` (3). */
  get readyState(): number {
    return this.#state;
  }

  /** Bytes sent but not yet handed to the network (frame headers included). */
  get bufferedAmount(): number {
    return (this.#duplex?.bufferedAmount ?? 0) + this.#chainBytes;
  }

  /** How binary messages arrive: "arraybuffer" (default) or "blob". */
  get binaryType(): WebSocketBinaryType {
    return this.#binaryType;
  }
  set binaryType(value: WebSocketBinaryType) {
    // As the standard says: other values are ignored.
    if (value === "arraybuffer" || value === "blob") this.#binaryType = value;
  }

  /** Called once the socket is open. */
  get onopen(): WebSocketEventHandler<Event> {
    return this.#handlers.get("open") ?? null;
  }
  set onopen(handler: WebSocketEventHandler<Event>) {
    this.#setHandler("open", handler);
  }
  /** Called with each message (`event.data`: a string, an `ArrayBuffer` or a `Blob`). */
  get onmessage(): WebSocketEventHandler<MessageEvent> {
    return (this.#handlers.get("message") ?? null) as WebSocketEventHandler<MessageEvent>;
  }
  set onmessage(handler: WebSocketEventHandler<MessageEvent>) {
    this.#setHandler("message", handler as WebSocketEventHandler<Event>);
  }
  /** Called with an `ErrorEvent` (its `message` says why) when the connection fails; `close` follows. */
  get onerror(): WebSocketEventHandler<Event> {
    return this.#handlers.get("error") ?? null;
  }
  set onerror(handler: WebSocketEventHandler<Event>) {
    this.#setHandler("error", handler);
  }
  /** Called once closed, with `code`, `reason` and `wasClean`. */
  get onclose(): WebSocketEventHandler<WebSocketCloseEvent> {
    return (this.#handlers.get("close") ?? null) as WebSocketEventHandler<WebSocketCloseEvent>;
  }
  set onclose(handler: WebSocketEventHandler<WebSocketCloseEvent>) {
    this.#setHandler("close", handler as WebSocketEventHandler<Event>);
  }

  #setHandler(type: string, handler: WebSocketEventHandler<Event>): void {
    // One listener per type, added on first use, calls whatever handler is current (the standard's order).
    if (!this.#handlers.has(type)) {
      this.addEventListener(type, (event) => this.#handlers.get(type)?.call(this, event));
    }
    this.#handlers.set(type, typeof handler === "function" ? handler : null);
  }

  /**
   * Sends a message: text for a string, binary otherwise. Throws
   * `InvalidStateError` before the socket is open; does nothing once it is
   * closing. A `Blob` is read first; later messages wait for it.
   */
  send(data: WebSocketData): void {
    if (this.#state === CONNECTING) {
      throw new DOMException("the WebSocket is not open yet", "InvalidStateError");
    }
    if (this.#state !== OPEN) return;
    if (typeof data === "string") return this.#enqueue(OPCODE.text, encoder.encode(data));
    if (data instanceof Blob) {
      return this.#enqueue(
        OPCODE.binary,
        data.arrayBuffer().then((buffer) => new Uint8Array(buffer)),
        data.size,
      );
    }
    if (ArrayBuffer.isView(data)) {
      return this.#enqueue(
        OPCODE.binary,
        new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      );
    }
    if (data instanceof ArrayBuffer || isSharedArrayBuffer(data)) {
      return this.#enqueue(OPCODE.binary, new Uint8Array(data as ArrayBuffer));
    }
    throw new TypeError("send() takes a string, an ArrayBuffer, an ArrayBufferView or a Blob");
  }

  /**
   * Starts the closing handshake. `code` must be 1000 or 3000-4999
   * (`InvalidAccessError`), `reason` at most 123 bytes of UTF-8
   * (`SyntaxError`). Idempotent once closing.
   */
  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) {
      throw new DOMException(
        `close code must be 1000 or in 3000-4999, not ${code}`,
        "InvalidAccessError",
      );
    }
    const text = reason ?? "";
    if (encoder.encode(text).length > 123) {
      throw new DOMException("close reason over 123 bytes of UTF-8", "SyntaxError");
    }
    this.#initiateClose(code, text);
  }

  /**
   * @internal Runs the socket over `duplex` once the 101 is written;
   * resolves when it has closed (the close event has fired). `shutdown`
   * closes it with 1001.
   */
  async [RUN](duplex: ByteDuplex, shutdown?: AbortSignal): Promise<void> {
    if (this.#state === CLOSED) return duplex.close();
    this.#duplex = duplex;
    this.#lastActivity = Date.now();
    this.#armIdle();
    if (this.#state === CONNECTING) {
      this.#state = OPEN;
      this.dispatchEvent(new Event("open"));
    } else if (this.#pendingClose !== null) {
      // close() was called before the socket opened.
      this.#sendClose(this.#pendingClose.code, this.#pendingClose.reason);
    }
    const onShutdown = (): void => this.#initiateClose(1001, "server shutting down");
    if (shutdown?.aborted) onShutdown();
    else shutdown?.addEventListener("abort", onShutdown, { once: true });
    try {
      await this.#readLoop(duplex);
    } finally {
      shutdown?.removeEventListener("abort", onShutdown);
    }
  }

  /** @internal The upgrade did not happen (another response, a lost client): fail the socket. */
  [CANCEL](reason: string): void {
    if (this.#state === CLOSED || this.#duplex !== null) return;
    this.#finish(1006, reason, false, reason);
  }

  async #readLoop(duplex: ByteDuplex): Promise<void> {
    const max = this.#settings.maxMessageSize;
    const deflate = this.#deflate;
    const parser = new FrameParser({
      masked: true,
      maxPayload: deflate === null ? max : compressedLimit(max),
      rsv1: deflate !== null,
    });
    const assembler = new MessageAssembler(max, deflate);
    while (this.#state !== CLOSED) {
      let chunk: Uint8Array | null;
      try {
        // Backpressure: a peer that does not read what we send gets nothing more read from it.
        if (duplex.bufferedAmount > duplex.highWaterMark) await duplex.drained();
        if (this.#state === CLOSED) return;
        chunk = await duplex.read();
      } catch (error) {
        return this.#finish(1006, `connection failed: ${describe(error)}`, false, error);
      }
      if (this.#state === CLOSED) return;
      if (chunk === null) return this.#finish(1006, "the peer closed without a close frame", false);
      this.#lastActivity = Date.now();
      this.#pingOutstanding = false;
      try {
        for (const frame of parser.push(chunk)) {
          this.#onFrame(frame, assembler);
          if (this.#state === CLOSED) return;
        }
      } catch (error) {
        if (!(error instanceof ProtocolViolation)) throw error;
        return this.#fail(error.code, error.message);
      }
    }
  }

  #onFrame(frame: Frame, assembler: MessageAssembler): void {
    switch (frame.opcode) {
      case OPCODE.ping:
        if (!this.#closeSent) this.#write(encodeFrame(OPCODE.pong, frame.payload));
        return;
      case OPCODE.pong:
        return;
      case OPCODE.close: {
        const { code, reason } = parseClosePayload(frame.payload);
        // Echo the code (RFC 6455 §5.5.1) unless our close frame already went out.
        if (!this.#closeSent) this.#sendClose(code === 1005 ? undefined : code, "", true);
        return this.#finish(code, reason, true);
      }
      default: {
        const message = assembler.add(frame);
        // Messages after close() are still checked, but no longer delivered.
        if (message === null || this.#state !== OPEN) return;
        let data: string | ArrayBuffer | Blob;
        if (message.text) data = message.data;
        else if (this.#binaryType === "blob") {
          data = new Blob([message.data as Uint8Array<ArrayBuffer>]);
        } else data = exactBuffer(message.data);
        this.dispatchEvent(new MessageEvent("message", { data }));
      }
    }
  }

  #enqueue(opcode: number, payload: Uint8Array | Promise<Uint8Array>, size?: number): void {
    if (this.#chain === null && payload instanceof Uint8Array) {
      return this.#write(this.#dataFrame(opcode, payload));
    }
    // Behind a Blob still being read: keep the order, and a copy of what was sent.
    const bytes = payload instanceof Uint8Array ? payload.slice() : payload;
    const counted = size ?? (payload as Uint8Array).length;
    this.#chainBytes += counted;
    const step = (this.#chain ?? Promise.resolve()).then(() => bytes).then(
      (data) => {
        this.#chainBytes -= counted;
        if (opcode === OPCODE.close) this.#sendClose(...decodeClose(data));
        else this.#write(this.#dataFrame(opcode, data));
      },
      (error) => {
        this.#chainBytes -= counted;
        this.#fail(1011, `could not read a Blob to send: ${describe(error)}`);
      },
    );
    this.#chain = step;
    step.then(() => {
      if (this.#chain === step) this.#chain = null;
    });
  }

  /** A message as one frame, compressed if negotiated, big enough and worth it (RFC 7692 §7.2.1). */
  #dataFrame(opcode: number, data: Uint8Array): Uint8Array {
    if (data.length >= this.#threshold && !this.#closeSent) {
      const compressed = this.#deflate!.compress(data);
      if (compressed !== null) return encodeFrame(opcode, compressed, { rsv1: true });
    }
    return encodeFrame(opcode, data);
  }

  #initiateClose(code: number | undefined, reason: string): void {
    if (this.#state === CLOSING || this.#state === CLOSED) return;
    const wasConnecting = this.#state === CONNECTING;
    this.#state = CLOSING;
    if (wasConnecting) {
      this.#pendingClose = { code, reason };
      return;
    }
    if (this.#chain !== null) this.#enqueue(OPCODE.close, closePayload(code, reason));
    else this.#sendClose(code, reason);
  }

  /** Writes a close frame (once) and waits a bounded time for the peer's. */
  #sendClose(code: number | undefined, reason: string, replying = false): void {
    if (this.#closeSent || this.#duplex === null) return;
    this.#write(encodeFrame(OPCODE.close, closePayload(code, reason)));
    this.#closeSent = true;
    if (this.#state === OPEN) this.#state = CLOSING;
    if (!replying && this.#closeTimer === undefined) {
      this.#closeTimer = setTimeout(() => {
        this.#duplex?.abort("close handshake timed out");
        this.#finish(1006, "the peer did not answer the close frame in time", false);
      }, this.#settings.closeTimeoutMs);
    }
  }

  #write(frame: Uint8Array): void {
    const duplex = this.#duplex;
    if (duplex === null || this.#closeSent || this.#state === CLOSED) return;
    if (duplex.bufferedAmount + frame.length > this.#settings.maxBufferedAmount) {
      // The peer does not read: a close frame would not get through either.
      duplex.abort("send buffer full");
      const why = `over ${this.#settings.maxBufferedAmount} bytes waiting to be sent`;
      return this.#finish(1006, why, false, why);
    }
    try {
      duplex.write(frame);
    } catch {
      // The transport is gone; the read loop reports the close.
    }
  }

  /** Fails the connection: our close frame with `code`, then the end (RFC 6455 §7.1.7). */
  #fail(code: number, reason: string): void {
    if (this.#state === CLOSED) return;
    this.#sendClose(code, truncateUtf8(reason, 123), true);
    this.#finish(code, reason, false, reason);
  }

  #finish(code: number, reason: string, wasClean: boolean, error?: unknown): void {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#closeTimer);
    this.#duplex?.close();
    if (error !== undefined) {
      this.dispatchEvent(new ErrorEventClass("error", { message: describe(error), error }));
    }
    this.dispatchEvent(new CloseEventClass("close", { code, reason, wasClean }));
  }

  #armIdle(): void {
    if (this.#settings.idleTimeoutMs > 0) {
      this.#idleTimer = setTimeout(this.#onIdle, this.#settings.idleTimeoutMs);
    }
  }

  #onIdle = (): void => {
    if (this.#state === CLOSED) return;
    const quiet = Date.now() - this.#lastActivity;
    const limit = this.#settings.idleTimeoutMs;
    if (quiet < limit) {
      this.#idleTimer = setTimeout(this.#onIdle, limit - quiet);
      return;
    }
    if (this.#pingOutstanding) {
      this.#duplex?.abort("idle timeout");
      const why = `no answer to a ping within ${limit} ms`;
      return this.#finish(1006, why, false, why);
    }
    this.#pingOutstanding = true;
    this.#lastActivity = Date.now();
    this.#write(encodeFrame(OPCODE.ping, EMPTY));
    this.#idleTimer = setTimeout(this.#onIdle, limit);
  };
}

function decodeClose(payload: Uint8Array): [number | undefined, string] {
  if (payload.length < 2) return [undefined, ""];
  return [(payload[0] << 8) | payload[1], new TextDecoder().decode(payload.subarray(2))];
}

function exactBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return bytes.buffer as ArrayBuffer;
  }
  return bytes.slice().buffer as ArrayBuffer;
}

function isSharedArrayBuffer(value: unknown): boolean {
  return typeof SharedArrayBuffer === "function" && value instanceof SharedArrayBuffer;
}

/** Cuts text to at most `limit` bytes of UTF-8 without splitting a character. */
function truncateUtf8(text: string, limit: number): string {
  if (encoder.encode(text).length <= limit) return text;
  let out = "";
  let size = 0;
  for (const char of text) {
    const length = encoder.encode(char).length;
    if (size + length > limit) break;
    out += char;
    size += length;
  }
  return out;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
