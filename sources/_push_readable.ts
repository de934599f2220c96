/** What a push-style socket (Node, Bun) offers to a pull-driven reader. */
export interface PushSocketControl {
  /** Stop delivering data (the kernel buffer fills, the peer is slowed down). */
  pause(): void;
  /** Deliver data again. */
  resume(): void;
  /** The consumer cancelled the stream. */
  cancelled(): void;
}

/**
 * A `ReadableStream` over a socket that pushes data through callbacks. The
 * socket is resumed only while a read is pending and paused as soon as a
 * chunk satisfies it, so a consumer that stops reading stops the socket, and
 * TCP backpressure reaches the peer.
 */
export class PushReadable {
  readonly stream: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #state: "open" | "ended" | "failed" | "cancelled" = "open";
  readonly #socket: PushSocketControl;

  constructor(socket: PushSocketControl) {
    this.#socket = socket;
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => {
        if (this.#state === "open") this.#socket.resume();
      },
      cancel: () => {
        if (this.#state !== "open") return;
        this.#state = "cancelled";
        this.#socket.pause();
        this.#socket.cancelled();
      },
      // Nothing is read ahead of the consumer.
    }, { highWaterMark: 0 });
  }

  /** Whether chunks are still wanted (not ended, failed or cancelled). */
  get open(): boolean {
    return this.#state === "open";
  }

  /** Whether the consumer cancelled (rather than the stream ending by itself). */
  get cancelled(): boolean {
    return this.#state === "cancelled";
  }

  /** Hands a chunk from the socket to the consumer; dropped once not open. */
  push(chunk: Uint8Array): void {
    if (this.#state !== "open") return;
    this.#controller.enqueue(chunk);
    if ((this.#controller.desiredSize ?? 0) <= 0) this.#socket.pause();
  }

  /** The peer ended its side: the consumer reads the end once queued chunks are taken. */
  end(): void {
    if (this.#state !== "open") return;
    this.#state = "ended";
    this.#controller.close();
  }

  /** The socket failed: the consumer's reads reject with `error`. */
  fail(error: unknown): void {
    if (this.#state !== "open") return;
    this.#state = "failed";
    this.#controller.error(error);
  }
}
