/** What a socket adapter does with the bytes a writable stream receives. */
export interface SocketSink {
  write(chunk: Uint8Array): Promise<void> | void;
  /** Several buffers as one gathered write (see `DirectSink.writev`). */
  writev?(chunks: readonly Uint8Array[]): Promise<void> | void;
  end(): Promise<void> | void;
  abort(): void;
}

/**
 * The writable side of a socket adapter. `abort()` on a stream waits for a
 * pending write before it calls the sink's abort; a write waiting on a peer
 * that does not read would hold it forever, so the abort signal acts at once.
 */
export function socketWritable(sink: SocketSink): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    start: (controller) => {
      controller.signal?.addEventListener("abort", () => sink.abort());
    },
    write: (chunk) => sink.write(chunk),
    close: () => sink.end(),
    abort: () => sink.abort(),
  });
}

/**
 * A socket's output: its `WritableStream`, made only when someone asks for
 * it, or the direct sink for the connection that owns the transport (a
 * `WritableStream` costs memory per connection and a Promise per write).
 */
export class SocketOutput {
  readonly #sink: SocketSink;
  #stream: WritableStream<Uint8Array> | null = null;

  constructor(sink: SocketSink) {
    this.#sink = sink;
  }

  /** The stream form. */
  get stream(): WritableStream<Uint8Array> {
    return this.#stream ??= socketWritable(this.#sink);
  }

  /** The sink itself, unless the stream form is already in use. */
  direct(): SocketSink | null {
    return this.#stream === null ? this.#sink : null;
  }
}
