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
