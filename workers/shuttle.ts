import type { ShuttleLike } from "../core/shuttle.ts";
import type { NetAddress } from "../core/transport.ts";
import type { ToWorker } from "./_protocol.ts";

/**
 * A request head as the worker parsed it, with the URL already resolved.
 *
 * @example
 * ```ts
 * import type { ShuttleHead } from "@hussar/core/workers";
 * function describe(head: ShuttleHead): string {
 *   return `${head.method} ${head.url}${head.hasBody ? " with a body" : ""}`;
 * }
 * console.log(typeof describe); // function
 * ```
 */
export interface ShuttleHead {
  /** The request method. */
  readonly method: string;
  /** The request's HTTP version. */
  readonly version: "1.0" | "1.1";
  /** The absolute URL (scheme from TLS, authority from Host or an absolute-form target). */
  readonly url: string;
  /** Header fields in arrival order, names lower-cased. */
  readonly headers: [string, string][];
  /** Whether a body follows (read it with `Shuttle.read()`). */
  readonly hasBody: boolean;
  /** The client's address. */
  readonly remoteAddr: NetAddress;
  /** The server's address for this connection. */
  readonly localAddr: NetAddress;
}

/** A response head sent back through a {@linkcode Shuttle}. */
export interface ShuttleResponseHead {
  /** Status code, 100-599. */
  status: number;
  /** Reason phrase (default: the registered one). */
  statusText?: string;
  /** Header fields; framing (Content-Length, chunked) is the worker's business. */
  headers: [string, string][];
}

/** Sends a message about this shuttle to its worker. */
type ShuttlePost = (message: ToWorker) => void;

/**
 * The main thread's side of one request in worker mode (the httpng
 * "shuttle"): a worker owns the connection, parsed the head, and writes
 * what this side answers. The body is pulled chunk by chunk on demand; a
 * streamed response has one chunk in flight: {@linkcode Shuttle.write}
 * waits until the worker has handed the previous chunk to the socket.
 * When the client goes away, {@linkcode Shuttle.signal} aborts and writes
 * settle without throwing.
 *
 * Made by a {@linkcode WorkerPool}; `serve({ workers })` turns each into a
 * Web `Request` and its `Response` back.
 *
 * @example
 * ```ts
 * import { Hussar } from "@hussar/core/core";
 * import { type Shuttle, WorkerPool } from "@hussar/core/workers";
 * const pool = new WorkerPool({ workers: 1, hostname: "127.0.0.1", port: 0 });
 * const hussar = new Hussar({ handler() { throw new Error("the workers own the connections"); } });
 * await hussar.attachShuttles(pool, async (shuttle: Shuttle) => {
 *   shuttle.respond({ status: 200, headers: [["content-type", "text/plain"]] }, `you asked for ${shuttle.head.url}`);
 * });
 * const { port } = pool.addr as { port: number };
 * console.log(await (await fetch(`http://127.0.0.1:${port}/x`)).text()); // you asked for http://127.0.0.1:.../x
 * await pool.shutdown();
 * await hussar.close();
 * ```
 */
export class Shuttle implements ShuttleLike {
  /** Unique among the shuttles of its pool. */
  readonly id: number;
  /** The request head, as the worker parsed it. */
  readonly head: ShuttleHead;
  /** Which worker owns the connection (0-based). */
  readonly worker: number;
  readonly #post: ShuttlePost;
  readonly #wid: number;
  readonly #abort = new AbortController();
  #state: "new" | "streaming" | "ended" | "gone" = "new";
  /** Settles once the previous chunk is on the socket (or the shuttle is gone). */
  #continue: Promise<void> | null = null;
  #resolveContinue: (() => void) | null = null;
  #pull: { resolve(bytes: Uint8Array | null): void; reject(error: unknown): void } | null = null;
  #bodyDone = false;
  readonly #completed: Promise<void>;
  #settleCompleted!: (error?: Error) => void;

  /** @internal Made by {@linkcode WorkerPool}. */
  constructor(id: number, worker: number, wid: number, head: ShuttleHead, post: ShuttlePost) {
    this.id = id;
    this.worker = worker;
    this.#wid = wid;
    this.head = head;
    this.#post = post;
    this.#bodyDone = !head.hasBody;
    this.#completed = new Promise((resolve, reject) => {
      this.#settleCompleted = (error) => (error === undefined ? resolve() : reject(error));
    });
    this.#completed.catch(() => {}); // a handler need not look at it
  }

  /** The client's address. */
  get remoteAddr(): NetAddress {
    return this.head.remoteAddr;
  }

  /** Aborts when the client goes away (or the exchange is aborted) before the response is complete. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Whether the exchange is over for this side: ended, or the client is gone. */
  get closed(): boolean {
    return this.#state === "ended" || this.#state === "gone";
  }

  /** Settles when the worker has written the whole response (fulfils) or could not (rejects). */
  get completed(): Promise<void> {
    return this.#completed;
  }

  /**
   * The next chunk of the request body, `null` at its end. One read at a
   * time; rejects if the body cannot be read (limit, timeout, bad framing)
   * or the client went away.
   */
  read(): Promise<Uint8Array | null> {
    if (this.#pull !== null) return Promise.reject(new TypeError("a body read is already pending"));
    if (this.#state === "gone") return Promise.reject(this.#abort.signal.reason);
    if (this.#bodyDone) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#pull = { resolve, reject };
      this.#post({ type: "pull", id: this.#wid });
    });
  }

  /**
   * Sends the response head. With `end` (the default), `body` is the whole
   * body and the response is complete in one message; otherwise chunks
   * follow with {@linkcode Shuttle.write} and {@linkcode Shuttle.end}.
   */
  respond(head: ShuttleResponseHead, body: Uint8Array | string | null = null, end = true): void {
    if (this.#state === "gone") return;
    if (this.#state !== "new") throw new TypeError("the response head was already sent");
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    this.#state = end ? "ended" : "streaming";
    this.#post({
      type: "head",
      id: this.#wid,
      status: head.status,
      statusText: head.statusText,
      headers: head.headers,
      body: bytes,
      end,
      upgrade: false,
    });
  }

  /**
   * Answers 101 Switching Protocols with `headers`: from then on the
   * connection carries another protocol (WebSocket). {@linkcode Shuttle.read}
   * yields the raw bytes the client sends, {@linkcode Shuttle.write} sends
   * raw bytes, {@linkcode Shuttle.end} closes the connection.
   */
  switchProtocols(headers: [string, string][]): void {
    if (this.#state === "gone") return;
    if (this.#state !== "new") throw new TypeError("the response head was already sent");
    this.#state = "streaming";
    this.#bodyDone = false;
    this.#post({
      type: "head",
      id: this.#wid,
      status: 101,
      headers,
      body: null,
      end: false,
      upgrade: true,
    });
  }

  /**
   * Sends a body chunk once the worker has put the previous one on the
   * socket. Resolves without sending if the client is gone (look at
   * {@linkcode Shuttle.signal}).
   */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.#state === "new") throw new TypeError("respond(head, null, false) before write()");
    if (this.#state === "ended") throw new TypeError("the response has ended");
    await this.#continue;
    if (this.#state !== "streaming") return;
    this.#continue = new Promise((resolve) => (this.#resolveContinue = resolve));
    this.#post({ type: "chunk", id: this.#wid, bytes });
  }

  /**
   * Completes a streamed response, with a last chunk if given. Does not wait
   * for the chunk in flight (the worker handles messages in order), so it
   * costs no extra round trip. Resolves once the worker has written it all;
   * does not throw if the client went away.
   */
  end(bytes: Uint8Array | null = null): Promise<void> {
    if (this.#state === "streaming") {
      this.#state = "ended";
      this.#post({ type: "end", id: this.#wid, bytes });
    } else if (this.#state === "new") {
      throw new TypeError("respond(head, null, false) before end()");
    }
    return this.#completed.catch(() => {});
  }

  /** Ends the exchange now: the worker drops the connection; the signal aborts. */
  abort(reason: string): void {
    if (this.#state === "gone") return;
    const wasOpen = this.#state !== "ended";
    this.#gone(new DOMException(reason, "AbortError"));
    if (wasOpen) this.#post({ type: "abort", id: this.#wid, reason });
  }

  // ---- called by the pool ----

  /** @internal */
  _body(bytes: Uint8Array | null): void {
    const pull = this.#pull;
    this.#pull = null;
    if (bytes === null) this.#bodyDone = true;
    pull?.resolve(bytes);
  }

  /** @internal */
  _bodyError(message: string): void {
    const pull = this.#pull;
    this.#pull = null;
    pull?.reject(new Error(`request body: ${message}`));
  }

  /** @internal */
  _continue(): void {
    const resolve = this.#resolveContinue;
    this.#resolveContinue = null;
    this.#continue = null;
    resolve?.();
  }

  /** @internal The worker wrote the response (or failed to). */
  _done(error: string | null): void {
    this.#state = this.#state === "gone" ? "gone" : "ended";
    this._continue();
    // Nothing more comes from the client (after an upgrade, reads were still possible).
    this._body(null);
    this.#settleCompleted(
      error === null ? undefined : new Error(`response not completed: ${error}`),
    );
  }

  /** @internal The client (or the worker) is gone. */
  _gone(reason: string): void {
    this.#gone(new DOMException(`the client closed the connection (${reason})`, "AbortError"));
  }

  #gone(reason: DOMException): void {
    if (this.#state === "gone") return;
    this.#state = "gone";
    this.#abort.abort(reason);
    this._continue();
    const pull = this.#pull;
    this.#pull = null;
    pull?.reject(reason);
    this.#settleCompleted(new Error(`response not completed: ${reason.message}`));
  }
}
