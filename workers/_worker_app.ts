/**
 * The worker's half of a shuttle: the apps (an {@linkcode HttpApp} for
 * HTTP/1.1, an {@linkcode Http2App} for each HTTP/2 stream) that send each
 * parsed request to the main thread and write back what the main thread
 * answers, one chunk in flight at a time.
 *
 * @module
 */
import type { Connection } from "../core/connection.ts";
import type { Http2App, Http2Exchange } from "../http2/session.ts";
import { HttpError } from "../httputil/errors.ts";
import type { HttpResponse } from "../httputil/respond.ts";
import type { HttpApp } from "../httputil/server.ts";
import type { IncomingRequest } from "../httputil/wait_for_request.ts";
import { type AwayCall, wait } from "../scheduler/mod.ts";
import { requestUrl } from "../httputil/request_url.ts";
import type { ParentPort } from "./_port.ts";
import { type ToWorker, transferable } from "./_protocol.ts";
import type { ShuttleHead } from "./shuttle.ts";

const METHODS_WITHOUT_BODY = new Set(["GET", "HEAD"]);

type ResponseMessage = Extract<ToWorker, { type: "head" | "chunk" | "end" | "abort" }>;
type Head = Extract<ToWorker, { type: "head" }>;
/** Where a "pull" reads from. */
type Source = () => Promise<Uint8Array | null>;

/** One request between its parsing and the moment nothing more can come for it. */
class Slot {
  readonly id: number;
  readonly #port: ParentPort;
  readonly #queue: ResponseMessage[] = [];
  #waiter: (() => void) | null = null;
  /** The client went away (told to the main thread, which answers "release"). */
  gone = false;
  #pulling = false;
  /** What a "pull" reads: the request body, or after a 101 the raw connection. */
  #source: Source;
  /** What pulls read after a 101 (none over HTTP/2, which has no upgrade). */
  readonly #relaySource: Source | null;

  constructor(id: number, port: ParentPort, source: Source, relaySource: Source | null) {
    this.id = id;
    this.#port = port;
    this.#source = source;
    this.#relaySource = relaySource;
  }

  /**
   * A 101 is on its way: pulls read what the client sends on the connection.
   * Switched as the head arrives, since a "pull" right behind it is served
   * before the head is written.
   */
  relay(): void {
    this.#source = this.#relaySource ?? this.#source;
  }

  push(message: ResponseMessage): void {
    this.#queue.push(message);
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.();
  }

  /** The next response message, or `null` once the client is gone. */
  next(): Promise<ResponseMessage | null> {
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift()!);
    if (this.gone) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#waiter = () => resolve(this.#queue.shift() ?? null);
    });
  }

  markGone(): void {
    this.gone = true;
    this.#wake();
  }

  /** Answers a "pull": reads the next body chunk (off the connection's thread, like a fetch body). */
  async pull(): Promise<void> {
    if (this.#pulling) return; // the main thread pulls one chunk at a time
    this.#pulling = true;
    try {
      const read = await this.#source();
      // A view on a larger buffer (a socket read, a DATA frame's) is cloned with all of that
      // buffer: send a copy of its bytes alone, transferred.
      const bytes = read === null || transferable(read).length > 0 ? read : read.slice();
      if (!this.gone) this.#port.post({ type: "body", id: this.id, bytes }, transferable(bytes));
    } catch (error) {
      if (!this.gone) {
        this.#port.post({ type: "body-error", id: this.id, message: describe(error) });
      }
    } finally {
      this.#pulling = false;
    }
  }
}

/** The worker's shuttles, and the HTTP app that feeds them. */
export class WorkerShuttles {
  readonly #port: ParentPort;
  readonly #maxInFlight: number;
  readonly #slots = new Map<number, Slot>();
  #nextId = 1;
  #slotWaiters: (() => void)[] = [];

  constructor(port: ParentPort, maxInFlight: number) {
    this.#port = port;
    this.#maxInFlight = maxInFlight;
  }

  /** Shuttles whose slot is still held. */
  get inFlight(): number {
    return this.#slots.size;
  }

  /** Routes a message from the main thread; one about a freed slot is dropped. */
  receive(message: ToWorker): void {
    if (!("id" in message)) return;
    const slot = this.#slots.get(message.id);
    if (slot === undefined) return;
    switch (message.type) {
      case "pull":
        void slot.pull();
        break;
      case "release":
        this.#free(slot);
        break;
      case "head":
        if (message.upgrade) slot.relay();
        slot.push(message);
        break;
      default:
        slot.push(message);
    }
  }

  #free(slot: Slot): void {
    if (!this.#slots.delete(slot.id)) return;
    this.#slotWaiters.shift()?.();
  }

  /** The {@linkcode HttpApp} each worker connection runs. */
  readonly app: HttpApp = (request, conn) => this.#exchange(request, conn);

  /** The {@linkcode Http2App} each HTTP/2 stream runs: a shuttle per stream. */
  readonly http2App: Http2App = (exchange) => this.#stream(exchange);

  /** A slot for a new shuttle; beyond the cap, the caller waits here (nobody gets a 500). */
  *#take(source: Source, relaySource: Source | null): AwayCall<Slot> {
    while (this.#slots.size >= this.#maxInFlight) {
      let wake!: () => void;
      const turn = new Promise<void>((resolve) => (wake = resolve));
      this.#slotWaiters.push(wake);
      try {
        yield* wait(turn);
      } finally {
        // A thread ended while it waited (its stream reset, its connection gone) gives up its
        // place: the next free slot must wake a waiter that is still there.
        const at = this.#slotWaiters.indexOf(wake);
        if (at !== -1) this.#slotWaiters.splice(at, 1);
      }
    }
    const slot = new Slot(this.#nextId++, this.#port, source, relaySource);
    this.#slots.set(slot.id, slot);
    return slot;
  }

  /** The client left before the response was complete: the main thread is told, once. */
  #gone(slot: Slot, reason: string): void {
    if (slot.gone) return;
    slot.markGone();
    this.#port.post({ type: "closed", id: slot.id, reason });
  }

  /** The response is written (or failed to be): the main thread is told, the slot freed. */
  #done(slot: Slot, error?: unknown): void {
    if (slot.gone) return;
    this.#port.post({
      type: "done",
      id: slot.id,
      error: error === undefined ? null : describe(error),
    });
    // After "end" the main thread sends nothing more about this shuttle.
    this.#free(slot);
  }

  *#exchange(request: IncomingRequest, conn: Connection): AwayCall<HttpResponse | void> {
    // Beyond the cap, this connection is not read further meanwhile.
    const slot = yield* this.#take(() => request.body.readAsync(), () => conn.readAndWait());
    const { method, version, headers, framing } = request.head;
    const head: ShuttleHead = {
      method,
      version,
      url: requestUrl(request.head, conn.info),
      headers: [...headers],
      hasBody: framing.kind !== "none" && !METHODS_WITHOUT_BODY.has(method),
      remoteAddr: conn.info.remoteAddr,
      localAddr: conn.info.localAddr,
    };
    // Until the response is written, the connection closing means the client left (the engine
    // watches for that while a response is owed). A listener taken back, not a Promise reaction
    // per request left on a long kept-alive connection.
    const onClose = (): void => this.#gone(slot, conn.closeReason);
    conn.onClose(onClose);
    this.#port.post({ type: "request", id: slot.id, head });

    const first = yield* wait(slot.next());
    if (first === null) return undefined; // gone: the slot waits for "release"
    if (first.type !== "head") {
      this.#free(slot);
      conn.abort(first.type === "abort" ? first.reason : "response without a head");
      return undefined;
    }
    const onWritten = (error?: unknown): void => {
      conn.offClose(onClose);
      this.#done(slot, error);
    };
    if (first.upgrade) {
      return {
        status: 101,
        headers: first.headers,
        body: null,
        // Written: the relay takes over (and says "done" when it ends).
        onWritten: (error) => error !== undefined && onWritten(error),
        upgrade: async (conn) => {
          await this.#relay(slot, conn);
          onWritten();
        },
      };
    }
    // The engine frames the response; a main thread that says `Connection: close` gets the close.
    if (first.headers.some(isClose)) conn.keepAlive = false;
    return this.#response(slot, first, (reason) => conn.abort(reason), onWritten);
  }

  /**
   * One HTTP/2 stream as a shuttle (version "2"). The body is read from the
   * stream's queue as the main thread pulls, so the session's WINDOW_UPDATE
   * follows the handler's reading; the response is the session's to write
   * within the windows, and it asks for the next chunk ("continue") once the
   * last one is sent. A stream that ends early (RST_STREAM, the connection
   * lost, `requestTimeoutMs`) tells the main thread, as "closed".
   */
  *#stream(exchange: Http2Exchange): AwayCall<HttpResponse> {
    const { head, body, info } = exchange;
    let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
    const read = async (): Promise<Uint8Array | null> => {
      reader ??= body!.stream().getReader();
      const step = await reader.read();
      return step.done ? null : step.value;
    };
    const slot = yield* this.#take(read, null);
    const shuttleHead: ShuttleHead = {
      method: head.method,
      version: "2",
      url: requestUrl(head, info),
      headers: [...head.headers],
      hasBody: body !== null && !METHODS_WITHOUT_BODY.has(head.method),
      remoteAddr: info.remoteAddr,
      localAddr: info.localAddr,
    };
    exchange.onAbort((reason) => this.#gone(slot, reason));
    if (!slot.gone) this.#port.post({ type: "request", id: slot.id, head: shuttleHead });
    const first = yield* wait(slot.next());
    // Gone: the session has reset the stream already, and the slot waits for "release".
    if (first === null) throw new Error("the stream ended");
    if (first.type !== "head" || first.upgrade) {
      // Aborted before any head, or a 101, which HTTP/2 has not: "done" ends the shuttle.
      this.#done(
        slot,
        first.type === "abort"
          ? first.reason
          : first.type === "head"
          ? "a protocol upgrade is not possible over HTTP/2"
          : "response without a head",
      );
      throw new HttpError(500, "internal server error");
    }
    return this.#response(slot, first, null, (error) => this.#done(slot, error));
  }

  /** The response the engine writes for `first`, its body streamed from the slot unless ended. */
  #response(
    slot: Slot,
    first: Head,
    abort: ((reason: string) => void) | null,
    onWritten: (error?: unknown) => void,
  ): HttpResponse {
    return {
      status: first.status,
      statusText: first.statusText,
      headers: first.headers,
      body: first.end ? first.body : this.#streamedBody(slot, first.body, abort),
      onWritten,
    };
  }

  /**
   * After a 101: writes what the main thread sends until it ends (or the
   * client leaves). Here "continue" follows each chunk once the transport
   * has taken all of it.
   */
  async #relay(slot: Slot, conn: Connection): Promise<void> {
    for (;;) {
      const message = await slot.next();
      if (message === null) return;
      switch (message.type) {
        case "chunk":
          await conn.writeAndWait(message.bytes);
          if (!slot.gone) this.#port.post({ type: "continue", id: slot.id });
          break;
        case "end":
          if (message.bytes !== null) conn.write(message.bytes);
          return;
        case "abort":
          conn.abort(message.reason);
          return;
        case "head":
          throw new Error("a second response head");
      }
    }
  }

  /**
   * The chunks of a streamed response, from the part sent with the head on
   * (httpng's `write_header`). The writer asks for the next chunk once the
   * last one is queued on the connection and the connection holds no more
   * than its high-water mark (`respond()`'s backpressure): that is when the
   * main thread hears "continue".
   */
  async *#streamedBody(
    slot: Slot,
    first: Uint8Array | null,
    abort: ((reason: string) => void) | null,
  ): AsyncGenerator<Uint8Array> {
    // Sent with the head, not a chunk in flight: no "continue" is owed for it.
    if (first !== null && first.length > 0) yield first;
    for (let asked = false;; asked = true) {
      if (asked && !slot.gone) this.#port.post({ type: "continue", id: slot.id });
      const message = await slot.next();
      if (message === null) return;
      switch (message.type) {
        case "chunk":
          yield message.bytes;
          break;
        case "end":
          if (message.bytes !== null && message.bytes.length > 0) yield message.bytes;
          return;
        case "abort":
          // HTTP/1.1 drops the connection; HTTP/2 resets the stream as the error goes up.
          abort?.(message.reason);
          throw new Error(message.reason);
        case "head":
          throw new Error("a second response head");
      }
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isClose([name, value]: [string, string]): boolean {
  return name.length === 10 && name.toLowerCase() === "connection" &&
    /(^|,)\s*close\s*(,|$)/i.test(value);
}
