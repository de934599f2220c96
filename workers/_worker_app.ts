/**
 * The worker's half of a shuttle: an {@linkcode HttpApp} that sends each
 * parsed request to the main thread and writes back what the main thread
 * answers, one chunk in flight at a time.
 *
 * @module
 */
import type { Connection } from "../core/connection.ts";
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

/** One request between its parsing and the moment nothing more can come for it. */
class Slot {
  readonly id: number;
  readonly #port: ParentPort;
  readonly #conn: Connection;
  readonly #queue: ResponseMessage[] = [];
  #waiter: (() => void) | null = null;
  /** The client went away (told to the main thread, which answers "release"). */
  gone = false;
  #pulling = false;
  /** What a "pull" reads: the request body, or after a 101 the raw connection. */
  #source: () => Promise<Uint8Array | null>;

  constructor(id: number, request: IncomingRequest, conn: Connection, port: ParentPort) {
    this.id = id;
    this.#port = port;
    this.#source = () => request.body.readAsync();
    this.#conn = conn;
  }

  /**
   * A 101 is on its way: pulls read what the client sends on the connection.
   * Switched as the head arrives, since a "pull" right behind it is served
   * before the head is written.
   */
  relay(): void {
    this.#source = () => this.#conn.readAndWait();
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
      const bytes = await this.#source();
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

  *#exchange(request: IncomingRequest, conn: Connection): AwayCall<HttpResponse | void> {
    // Beyond the cap, this connection waits here: it is not read further, nobody gets a 500.
    while (this.#slots.size >= this.#maxInFlight) {
      yield* wait(new Promise<void>((resolve) => this.#slotWaiters.push(resolve)));
    }
    const slot = new Slot(this.#nextId++, request, conn, this.#port);
    this.#slots.set(slot.id, slot);
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
    const onClose = (): void => {
      if (slot.gone) return;
      slot.markGone();
      this.#port.post({ type: "closed", id: slot.id, reason: conn.closeReason });
    };
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
      if (slot.gone) return;
      this.#port.post({
        type: "done",
        id: slot.id,
        error: error === undefined ? null : describe(error),
      });
      // After "end" the main thread sends nothing more about this shuttle.
      this.#free(slot);
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
    return {
      status: first.status,
      statusText: first.statusText,
      headers: first.headers,
      body: first.end ? first.body : this.#streamedBody(slot, conn, first.body),
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
    conn: Connection,
    first: Uint8Array | null,
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
          conn.abort(message.reason);
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
