import { BODY, BODY_ERROR, CONTINUE, DONE, GONE } from "./_shuttle_slots.ts";
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
  /** The request's HTTP version ("2" for a stream of an HTTP/2 connection). */
  readonly version: "1.0" | "1.1" | "2";
  /** The absolute URL (scheme from TLS, authority from Host, `:authority` or an absolute-form target). */
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
  /**
   * Header fields; framing (Content-Length, chunked) and keep-alive are the
   * worker's business, except that `Connection: close` closes the
   * connection once this response is written.
   */
  headers: [string, string][];
}

/** Sends a message about this shuttle to its worker. */
type ShuttlePost = (message: ToWorker) => void;

/**
 * The main thread's side of one request in worker mode (the httpng
 * "shuttle"): a worker owns the connection, parsed the head, and writes
 * what this side answers. The body is pulled chunk by chunk on demand; a
 * streamed response has one chunk in flight: {@linkcode Shuttle.write}
 * sends its chunk once the worker said "continue" for the previous one,
 * that is once it has queued that chunk on the connection and the
 * connection holds no more than its high-water mark (so the worker buffers
 * at most that much beyond what the socket took). Writes not awaited wait
 * their turn, in order. When the client goes away,
 * {@linkcode Shuttle.signal} aborts and writes settle without throwing.
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
  /** The worker wrote the response (or failed to), or the client is gone: nothing more is sent. */
  #over = false;
  /** Settles at the worker's "continue" for the chunk in flight (or once the exchange is over). */
  #continue: Promise<void> | null = null;
  #resolveContinue: (() => void) | null = null;
  /** Settles once the last write called has sent its chunk: the next waits for it. */
  #lastWrite: Promise<void> = Promise.resolve();
  /** Writes called and not yet sent. */
  #queuedWrites = 0;
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
   * body and the response is complete in one message; otherwise `body` (if
   * any) is the body's first part, sent with the head, and more follows with
   * {@linkcode Shuttle.write} and {@linkcode Shuttle.end}.
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
   * Sends a body chunk, resolving once it is sent: after the worker's
   * "continue" for the chunk before (see {@linkcode Shuttle}), and after
   * every write called earlier. Resolves without sending if the client is
   * gone (look at {@linkcode Shuttle.signal}).
   */
  write(bytes: Uint8Array): Promise<void> {
    if (this.#state === "new") {
      return Promise.reject(new TypeError("respond(head, null, false) before write()"));
    }
    if (this.#state !== "streaming") {
      // Gone: nobody reads it. Ended: a write after end() is the handler's bug.
      return this.#state === "gone"
        ? Promise.resolve()
        : Promise.reject(new TypeError("the response has ended"));
    }
    this.#queuedWrites++;
    const sent = this.#lastWrite.then(() => this.#send(bytes));
    this.#lastWrite = sent;
    return sent;
  }

  /** Sends one chunk when the one in flight was taken: one in flight at a time. */
  async #send(bytes: Uint8Array): Promise<void> {
    await this.#continue;
    this.#queuedWrites--;
    if (this.#over) return;
    this.#continue = new Promise((resolve) => (this.#resolveContinue = resolve));
    this.#post({ type: "chunk", id: this.#wid, bytes });
  }

  /**
   * Completes a streamed response, with a last chunk if given. Follows the
   * writes called before it, but not the "continue" for the last of them
   * (the worker handles messages in order), so it costs no extra round
   * trip. Resolves once the worker has written it all; does not throw if
   * the client went away.
   */
  end(bytes: Uint8Array | null = null): Promise<void> {
    if (this.#state === "streaming") {
      this.#state = "ended";
      const message = { type: "end", id: this.#wid, bytes } as const;
      if (this.#queuedWrites === 0) this.#post(message);
      else {
        this.#lastWrite = this.#lastWrite.then(() => {
          if (!this.#over) this.#post(message);
        });
      }
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
  [BODY](bytes: Uint8Array | null): void {
    const pull = this.#pull;
    this.#pull = null;
    if (bytes === null) this.#bodyDone = true;
    pull?.resolve(bytes);
  }

  /** @internal */
  [BODY_ERROR](message: string): void {
    const pull = this.#pull;
    this.#pull = null;
    pull?.reject(new Error(`request body: ${message}`));
  }

  /** @internal */
  [CONTINUE](): void {
    const resolve = this.#resolveContinue;
    this.#resolveContinue = null;
    this.#continue = null;
    resolve?.();
  }

  /** @internal The worker wrote the response (or failed to). */
  [DONE](error: string | null): void {
    this.#state = this.#state === "gone" ? "gone" : "ended";
    this.#over = true;
    this[CONTINUE]();
    // Nothing more comes from the client (after an upgrade, reads were still possible).
    this[BODY](null);
    this.#settleCompleted(
      error === null ? undefined : new Error(`response not completed: ${error}`),
    );
  }

  /** @internal The client (or the worker) is gone. */
  [GONE](reason: string): void {
    // As in single-thread mode: an HTTP/2 stream ends on its own (RST_STREAM), its connection on.
    const what = this.head.version === "2"
      ? `the stream ended: ${reason}`
      : `the client closed the connection (${reason})`;
    this.#gone(new DOMException(what, "AbortError"));
  }

  #gone(reason: DOMException): void {
    if (this.#state === "gone") return;
    this.#state = "gone";
    this.#over = true;
    this.#abort.abort(reason);
    this[CONTINUE]();
    const pull = this.#pull;
    this.#pull = null;
    pull?.reject(reason);
    this.#settleCompleted(new Error(`response not completed: ${reason.message}`));
  }
}
