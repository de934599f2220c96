import type { ByteDuplex } from "../websocket/duplex.ts";
import type { Shuttle } from "../workers/shuttle.ts";

const HIGH_WATER_MARK = 64 * 1024;

/**
 * An upgraded shuttle (after `switchProtocols`) as a byte duplex, so the
 * WebSocket engine runs on the main thread over a connection a worker owns.
 * Writes leave one chunk at a time, in order (the shuttle's flow control);
 * `bufferedAmount` is what has not been sent to the worker yet.
 */
export function shuttleDuplex(shuttle: Shuttle): ByteDuplex {
  let buffered = 0;
  let sent: Promise<void> = Promise.resolve();
  let ended = false;
  return {
    async read() {
      if (ended) return null;
      try {
        return await shuttle.read();
      } catch (error) {
        // After our own close or abort, a pending read just ends.
        if (ended) return null;
        throw error;
      }
    },
    write(bytes) {
      if (ended) throw new TypeError("the connection is closed");
      buffered += bytes.length;
      sent = shuttle.write(bytes).finally(() => (buffered -= bytes.length));
    },
    get bufferedAmount() {
      return buffered;
    },
    highWaterMark: HIGH_WATER_MARK,
    drained: () => sent,
    close() {
      if (ended) return;
      ended = true;
      // What is queued leaves first (end() follows the writes), then the worker closes the connection.
      sent = shuttle.end().catch(() => {});
    },
    abort(reason) {
      ended = true;
      shuttle.abort(reason);
    },
  };
}
