import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { DenoConnTransport } from "../../sources/_deno_transport.ts";
import { type DirectSource, ON_CHUNK, ON_READ_ERROR } from "../../internal/direct_io.ts";

const info = {
  remoteAddr: { transport: "tcp" as const, hostname: "127.0.0.1", port: 1 },
  localAddr: { transport: "tcp" as const, hostname: "127.0.0.1", port: 2 },
  tls: false,
};

/** A `Deno.Conn` stand-in whose reads wait until the test answers them. */
function fakeConn(): {
  conn: ConstructorParameters<typeof DenoConnTransport>[0];
  reads: Uint8Array[];
  answer(bytes: string | null): void;
  thens: () => number;
} {
  const reads: Uint8Array[] = [];
  let pending: ((n: number | null) => void) | null = null;
  let thens = 0;
  const conn = {
    read(buffer: Uint8Array): Promise<number | null> {
      reads.push(buffer);
      const promise = new Promise<number | null>((resolve) => (pending = resolve));
      // Counts what hangs on the pending read: each `then` is held while the connection idles.
      const then = promise.then.bind(promise);
      (promise as { then: unknown }).then = (...args: Parameters<typeof then>) => {
        thens++;
        return then(...args);
      };
      return promise;
    },
    write: (bytes: Uint8Array): Promise<number> => Promise.resolve(bytes.length),
    closeWrite: (): Promise<void> => Promise.resolve(),
    close: (): void => {},
  } as unknown as ConstructorParameters<typeof DenoConnTransport>[0];
  return {
    conn,
    reads,
    answer(bytes) {
      const resolve = pending!;
      pending = null;
      if (bytes === null) return resolve(null);
      const encoded = new TextEncoder().encode(bytes);
      reads.at(-1)!.set(encoded);
      resolve(encoded.length);
    },
    thens: () => thens,
  };
}

describe("DenoConnTransport", () => {
  it("parks an idle read on a buffer of at most 2 KiB and one then()", async () => {
    const fake = fakeConn();
    const transport = new DenoConnTransport(fake.conn, info);
    const source = transport as unknown as DirectSource;
    const chunks: (string | null)[] = [];
    const next = (): Promise<void> =>
      new Promise((resolve, reject) => {
        source.read({
          [ON_CHUNK](chunk) {
            chunks.push(chunk === null ? null : new TextDecoder().decode(chunk));
            resolve();
          },
          [ON_READ_ERROR]: reject,
        });
      });
    let got = next();
    assert.equal(fake.reads.length, 1);
    assert.ok(fake.reads[0].length <= 2048, `idle read buffer of ${fake.reads[0].length} bytes`);
    assert.equal(fake.thens(), 1, "one then() on the pending read");
    fake.answer("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    await got;
    got = next();
    fake.answer(null);
    await got;
    assert.deepEqual(chunks, ["GET / HTTP/1.1\r\nHost: a\r\n\r\n", null]);
  });
});
