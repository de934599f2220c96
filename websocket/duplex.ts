/**
 * A byte duplex: what the WebSocket engine runs over. `serve()` adapts a
 * hussar `Connection` to it; a relay (worker mode, a test) can provide its
 * own.
 *
 * Contract: one `read()` at a time; `read()` resolves `null` once the peer
 * ended or after `close()`/`abort()` (so a pending read always settles);
 * `write()` only queues (it never blocks) and may throw once closed;
 * `bufferedAmount` counts bytes written but not yet accepted by the
 * transport, and `drained()` resolves once it is back to zero.
 *
 * @example
 * ```ts
 * import type { ByteDuplex } from "@hussar/core/websocket";
 * const written: Uint8Array[] = [];
 * const duplex: ByteDuplex = {
 *   read: () => Promise.resolve(null), // the peer has nothing to say
 *   write: (bytes) => void written.push(bytes),
 *   bufferedAmount: 0,
 *   highWaterMark: 64 * 1024,
 *   drained: () => Promise.resolve(),
 *   close() {},
 *   abort() {},
 * };
 * duplex.write(new Uint8Array([0x88, 0]));
 * console.log(written.length); // 1
 * ```
 */
export interface ByteDuplex {
  /** The next chunk from the peer; `null` at its end or once closed. Rejects if the transport failed. */
  read(): Promise<Uint8Array | null>;
  /** Queues bytes for the peer. */
  write(bytes: Uint8Array): void;
  /** Bytes written and not yet accepted by the transport. */
  readonly bufferedAmount: number;
  /** Above this many buffered bytes the engine stops reading until `drained()` resolves. */
  readonly highWaterMark: number;
  /** Resolves once every byte written so far was accepted; rejects if the transport failed. */
  drained(): Promise<void>;
  /** Sends what is queued, then ends the byte stream. */
  close(): void;
  /** Ends now, dropping queued bytes. */
  abort(reason: string): void;
}
