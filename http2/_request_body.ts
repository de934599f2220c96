/**
 * The body of one HTTP/2 request: DATA the session queued for its stream,
 * read by the handler as a pull stream. What the reader takes is reported
 * (`onConsumed`), so the session opens the flow-control windows only as the
 * handler consumes (RFC 9113 §5.2): a slow reader slows its sender.
 *
 * @module
 */

import { HeaderList } from "../httputil/mod.ts";

/** A request body fed by the session and read by the handler. */
export class RequestBody {
  /** Why the body failed (a limit, a deadline, a reset), or `null`: the engine answers it. */
  failure: unknown = null;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #trailers: HeaderList | null = null;
  #wake: (() => void) | null = null;
  #taken = false;
  #cancelled = false;
  readonly #onConsumed: (bytes: number) => void;
  readonly #onWait: (waiting: boolean) => void;

  /**
   * `onConsumed(n)`: the reader took `n` bytes. `onWait(true)` when the
   * reader waits for bytes not yet received, `onWait(false)` once it stops
   * waiting (the session times the client's silence meanwhile).
   */
  constructor(onConsumed: (bytes: number) => void, onWait: (waiting: boolean) => void) {
    this.#onConsumed = onConsumed;
    this.#onWait = onWait;
  }

  /** Bytes received and not yet read. */
  get queued(): number {
    return this.#queued;
  }

  /** Whether the whole body was received (END_STREAM) or it failed. */
  get finished(): boolean {
    return this.#ended || this.failure !== null;
  }

  /**
   * DATA for this stream (a view the transport never reuses). Returns
   * whether it was queued: bytes nobody will read are the caller's to credit.
   */
  push(data: Uint8Array): boolean {
    if (this.finished || this.#cancelled) return false;
    if (data.length === 0) return true;
    this.#queue.push(data);
    this.#queued += data.length;
    this.#notify();
    return true;
  }

  /** END_STREAM, on DATA or on `trailers` (validated, §8.1): nothing more will come. */
  end(trailers: HeaderList | null = null): void {
    this.#ended = true;
    this.#trailers = trailers;
    this.#notify();
  }

  /** The trailer fields that ended the body (§8.1); empty before its end or without any. */
  get trailers(): HeaderList {
    return this.#trailers ?? new HeaderList();
  }

  /** The body cannot be completed; queued bytes are dropped and returned (to credit them). */
  fail(error: unknown): number {
    if (this.failure === null && !this.#ended) this.failure = error;
    return this.#drop();
  }

  #drop(): number {
    const dropped = this.#queued;
    this.#queue = [];
    this.#queued = 0;
    this.#notify();
    return dropped;
  }

  /** The body as a stream of bytes, for the `Request`; once. */
  stream(): ReadableStream<Uint8Array> {
    if (this.#taken) throw new TypeError("the request body was already taken");
    this.#taken = true;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        while (this.#queue.length === 0 && !this.finished) {
          this.#onWait(true);
          try {
            await new Promise<void>((resolve) => (this.#wake = resolve));
          } finally {
            this.#onWait(false);
          }
        }
        if (this.#queue.length > 0) {
          const chunk = this.#queue.shift()!;
          this.#queued -= chunk.length;
          controller.enqueue(chunk);
          this.#onConsumed(chunk.length);
        } else if (this.failure !== null) {
          controller.error(this.failure);
        } else {
          controller.close();
        }
      },
      cancel: () => {
        // The handler wants no more: what is queued, and what comes, counts as consumed.
        this.#cancelled = true;
        const dropped = this.#drop();
        if (dropped > 0) this.#onConsumed(dropped);
      },
    }, { highWaterMark: 0 });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
