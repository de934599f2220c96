import type { FileHandle } from "node:fs/promises";

/** Bytes read from the file per pull. */
const CHUNK = 64 * 1024;

/**
 * A stream of bytes `start` to `end` (inclusive) of an open file, read one
 * chunk per pull so a large file is never held in memory. The handle is
 * closed when the range is done, on error, and when the reader cancels (a
 * client that went away).
 */
export function fileRangeStream(
  handle: FileHandle,
  start: number,
  end: number,
): ReadableStream<Uint8Array> {
  let position = start;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const wanted = Math.min(CHUNK, end + 1 - position);
      if (wanted <= 0) {
        await close();
        controller.close();
        return;
      }
      try {
        const buffer = new Uint8Array(wanted);
        const { bytesRead } = await handle.read(buffer, 0, wanted, position);
        if (bytesRead === 0) {
          // The file shrank under us: the promised length cannot be met.
          throw new Error(`file ended at byte ${position}, expected ${end + 1}`);
        }
        position += bytesRead;
        controller.enqueue(bytesRead === wanted ? buffer : buffer.subarray(0, bytesRead));
        if (position > end) {
          await close();
          controller.close();
        }
      } catch (error) {
        await close().catch(() => {});
        controller.error(error);
      }
    },
    async cancel() {
      await close();
    },
  }, { highWaterMark: 0 });
}
