import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { DenoConnTransport } from "../../sources/_deno_transport.ts";
import { Hussar } from "../../core/mod.ts";
import {
  type DirectSource,
  ON_CHUNK,
  ON_READ_ERROR,
  ON_WRITE_ERROR,
  ON_WRITTEN,
} from "../../internal/direct_io.ts";
import { LINGER_EXPIRED } from "../../sources/_timing.ts";

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
  /** The reactions given to each read's `then`. */
  reactions: unknown[][];
} {
  const reads: Uint8Array[] = [];
  const reactions: unknown[][] = [];
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
        reactions.push(args);
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
    reactions,
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

/** One direct read of `source`, its chunk pushed onto `chunks`. */
function readInto(source: DirectSource, chunks: Uint8Array[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    source.read({
      [ON_CHUNK](chunk) {
        chunks.push(chunk!);
        resolve();
      },
      [ON_READ_ERROR]: reject,
    });
  });
}

describe("DenoConnTransport: reactions per read", () => {
  it("reacts to every read of a body with the same two functions: no closures made per chunk", async () => {
    const fake = fakeConn();
    const source = new DenoConnTransport(fake.conn, info) as unknown as DirectSource;
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < 4; i++) {
      const got = readInto(source, chunks);
      fake.answer(String.fromCharCode(0x61 + i).repeat(fake.reads.at(-1)!.length));
      await got;
    }
    assert.equal(fake.reactions.length, 4);
    for (const args of fake.reactions) {
      assert.equal(args.length, 2);
      assert.equal(args[0], fake.reactions[0][0], "the same fulfilment reaction");
      assert.equal(args[1], fake.reactions[0][1], "the same rejection reaction");
    }
    // Each chunk its own bytes, though the reactions are shared.
    for (const [i, chunk] of chunks.entries()) {
      assert.ok(chunk.every((byte) => byte === 0x61 + i), `chunk ${i} kept its bytes`);
    }
  });

  it("hands a failed read's error to that read's reader and reads no more", async () => {
    const reads: Uint8Array[] = [];
    const conn = {
      read(buffer: Uint8Array): Promise<number | null> {
        reads.push(buffer);
        return Promise.reject(new Error("reset"));
      },
      write: (bytes: Uint8Array): Promise<number> => Promise.resolve(bytes.length),
      closeWrite: (): Promise<void> => Promise.resolve(),
      close: (): void => {},
    } as unknown as ConstructorParameters<typeof DenoConnTransport>[0];
    const source = new DenoConnTransport(conn, info) as unknown as DirectSource;
    const error = await new Promise<unknown>((resolve) => {
      source.read({
        [ON_CHUNK]: () => resolve("a chunk"),
        [ON_READ_ERROR]: resolve,
      });
    });
    assert.equal((error as Error).message, "reset");
    let after: unknown = "nothing";
    source.read({ [ON_CHUNK]: (chunk) => (after = chunk), [ON_READ_ERROR]: (e) => (after = e) });
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(after, "nothing", "a failed input reports nothing more");
    assert.equal(reads.length, 1);
  });
});

describe("DenoConnTransport: read buffers", () => {
  /** Reads one chunk from a new transport on `fake`, answered with `text`. */
  async function readOnce(fake: ReturnType<typeof fakeConn>, text: string): Promise<Uint8Array> {
    const source = new DenoConnTransport(fake.conn, info) as unknown as DirectSource;
    const chunk = new Promise<Uint8Array>((resolve, reject) => {
      source.read({ [ON_CHUNK]: (chunk) => resolve(chunk!), [ON_READ_ERROR]: reject });
    });
    fake.answer(text);
    return await chunk;
  }

  it("passes a small read's buffer on to the next connection, its bytes copied out first", async () => {
    const fake = fakeConn();
    const first = await readOnce(fake, "GET /a HTTP/1.1\r\n\r\n");
    const second = await readOnce(fake, "GET /bb HTTP/1.1\r\n\r\n");
    assert.equal(fake.reads[1], fake.reads[0], "the same buffer read into twice");
    assert.equal(new TextDecoder().decode(first), "GET /a HTTP/1.1\r\n\r\n");
    assert.equal(new TextDecoder().decode(second), "GET /bb HTTP/1.1\r\n\r\n");
  });

  it("never hands its read buffer over: a chunk keeps its bytes through later reads", async () => {
    const fake = fakeConn();
    const full = await readOnce(fake, "x".repeat(2048)); // full: the next read is larger
    assert.notEqual(full.buffer, fake.reads[0].buffer, "a copy, not the buffer read into");
    const pending = new DenoConnTransport(fake.conn, info) as unknown as DirectSource;
    pending.read({ [ON_CHUNK]() {}, [ON_READ_ERROR]() {} });
    const other = new DenoConnTransport(fake.conn, info) as unknown as DirectSource;
    other.read({ [ON_CHUNK]() {}, [ON_READ_ERROR]() {} });
    assert.equal(fake.reads[1], fake.reads[0], "the first buffer went back to the pool");
    assert.notEqual(fake.reads[2], fake.reads[1], "not one whose read is still pending");
    fake.reads[1].fill(0x79);
    assert.equal(new TextDecoder().decode(full), "x".repeat(2048));
  });

  it("copies a read out without `slice`, which zeroes the new memory before copying into it", async () => {
    const fake = fakeConn();
    const slice = Uint8Array.prototype.slice;
    let sliced = 0;
    Uint8Array.prototype.slice = function (this: Uint8Array, ...args: [number?, number?]) {
      if (fake.reads.some((buffer) => buffer.buffer === this.buffer)) sliced++;
      return slice.apply(this, args);
    };
    let chunk: Uint8Array;
    try {
      chunk = await readOnce(fake, "y".repeat(2048));
    } finally {
      Uint8Array.prototype.slice = slice;
    }
    assert.equal(sliced, 0, "no read buffer sliced");
    assert.notEqual(chunk.buffer, fake.reads[0].buffer, "a copy, not the buffer read into");
    assert.equal(
      chunk.byteLength,
      chunk.buffer.byteLength,
      "a buffer of its own, as long as the read",
    );
    assert.equal(new TextDecoder().decode(chunk), "y".repeat(2048));
  });

  it("reads a large body into one buffer, grown while reads fill it, and copies each chunk out", async () => {
    const fake = fakeConn();
    const source = new DenoConnTransport(fake.conn, info) as unknown as DirectSource;
    const chunks: Uint8Array[] = [];
    /** One read, answered with `text`, or with `fill` as many times as the buffer holds. */
    const next = (text: string | null, fill = ""): Promise<void> => {
      const got = readInto(source, chunks);
      fake.answer(text ?? fill.repeat(fake.reads.at(-1)!.length));
      return got;
    };
    // Each read filled: 2, 4, 8, 16, 32, 64 KiB, then 64 KiB again into the same buffer.
    for (let i = 0; i < 8; i++) {
      await next(null, String.fromCharCode(0x61 + i));
    }
    const sizes = fake.reads.map((buffer) => buffer.length / 1024);
    assert.deepEqual(sizes, [2, 4, 8, 16, 32, 64, 64, 64]);
    assert.equal(fake.reads[6], fake.reads[5], "the 64 KiB buffer read into again");
    assert.equal(fake.reads[7], fake.reads[5]);
    for (const [i, chunk] of chunks.entries()) {
      assert.equal(chunk.length, sizes[i] * 1024);
      assert.ok(chunk.every((byte) => byte === 0x61 + i), `chunk ${i} kept its bytes`);
    }
    // The body is over: a mostly empty read, and the next waits on the smallest buffer again.
    await next("GET / HTTP/1.1\r\n\r\n");
    source.read({ [ON_CHUNK]() {}, [ON_READ_ERROR]() {} });
    assert.equal(fake.reads.at(-1)!.length, 2048);
  });
});

/** A `Deno.Conn` stand-in that records each write's bytes (copied: a scratch buffer is reused). */
function recordingConn(maxWrite = Infinity): {
  conn: ConstructorParameters<typeof DenoConnTransport>[0];
  writes: Uint8Array[];
} {
  const writes: Uint8Array[] = [];
  const conn = {
    write(bytes: Uint8Array): Promise<number> {
      const n = Math.min(bytes.length, maxWrite);
      writes.push(bytes.slice(0, n));
      return Promise.resolve(n);
    },
  } as unknown as ConstructorParameters<typeof DenoConnTransport>[0];
  return { conn, writes };
}

function bytes(length: number, fill: number): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

function joined(chunks: readonly Uint8Array[]): number[] {
  return chunks.flatMap((chunk) => [...chunk]);
}

describe("DenoConnTransport.writev", () => {
  it("sends a chunk's small framing and the chunk after it in one write", async () => {
    const { conn, writes } = recordingConn();
    const transport = new DenoConnTransport(conn, info);
    const chunks = [bytes(2, 1), bytes(7, 2), bytes(64 * 1024, 3)];
    await transport.writev(chunks);
    assert.equal(writes.length, 1);
    assert.deepEqual(joined(writes), joined(chunks));
    // The scratch buffer is reused: the next write's bytes are its own.
    const next = [bytes(5, 4), bytes(20 * 1024, 5), bytes(3, 6)];
    await transport.writev(next);
    assert.deepEqual(writes.slice(1).map((write) => write.length), [5 + 20 * 1024 + 3]);
    assert.deepEqual(joined(writes.slice(1)), joined(next));
  });

  it("sends a chunked body's last chunk and its end in one write, while they fit a scratch buffer", async () => {
    const { conn, writes } = recordingConn();
    const transport = new DenoConnTransport(conn, info);
    const chunks = [bytes(9, 1), bytes(64 * 1024, 2), bytes(7, 3)];
    await transport.writev(chunks);
    assert.deepEqual(writes.map((write) => write.length), [9 + 64 * 1024 + 7]);
    assert.deepEqual(joined(writes), joined(chunks));
    // Past the scratch buffer's size the small ones after go on their own, joined.
    const more = [bytes(9, 4), bytes(71 * 1024, 5), bytes(1024, 6), bytes(7, 7)];
    await transport.writev(more);
    assert.deepEqual(writes.slice(1).map((write) => write.length), [9 + 71 * 1024, 1024 + 7]);
    assert.deepEqual(joined(writes.slice(1)), joined(more));
  });

  it("writes large buffers on their own, small runs joined, and past a scratch buffer apart", async () => {
    const { conn, writes } = recordingConn();
    const transport = new DenoConnTransport(conn, info);
    const chunks = [bytes(64 * 1024, 1), bytes(64 * 1024, 2), bytes(9, 3), bytes(100 * 1024, 4)];
    await transport.writev(chunks);
    assert.deepEqual(writes.map((write) => write.length), [64 * 1024, 64 * 1024, 9, 100 * 1024]);
    assert.deepEqual(joined(writes), joined(chunks));
  });

  it("finishes a joined write the kernel takes in parts", async () => {
    const { conn, writes } = recordingConn(10_000);
    const transport = new DenoConnTransport(conn, info);
    const chunks = [bytes(9, 1), bytes(64 * 1024, 2), bytes(2, 3), bytes(5, 4)];
    await transport.writev(chunks);
    assert.equal(writes.length, Math.ceil((9 + 64 * 1024 + 7) / 10_000));
    assert.deepEqual(joined(writes), joined(chunks));
  });

  it("rejects when a joined write fails, and the next write still works", async () => {
    let fail = true;
    const writes: Uint8Array[] = [];
    const conn = {
      write(chunk: Uint8Array): Promise<number> {
        if (fail) return Promise.reject(new Error("broken pipe"));
        writes.push(chunk.slice());
        return Promise.resolve(chunk.length);
      },
    } as unknown as ConstructorParameters<typeof DenoConnTransport>[0];
    const transport = new DenoConnTransport(conn, info);
    await assert.rejects(transport.writev([bytes(9, 1), bytes(32 * 1024, 2)]), /broken pipe/);
    fail = false;
    const chunks = [bytes(9, 3), bytes(32 * 1024, 4)];
    await transport.writev(chunks);
    assert.deepEqual(joined(writes), joined(chunks));
  });
});

/** A `Deno.Conn` stand-in that records the close calls; a read waits until close() fails it. */
function closingConn(): {
  conn: ConstructorParameters<typeof DenoConnTransport>[0];
  calls: string[];
} {
  const calls: string[] = [];
  const pending: ((error: Error) => void)[] = [];
  const conn = {
    read: (): Promise<number | null> => new Promise((_, reject) => pending.push(reject)),
    write: (chunk: Uint8Array): Promise<number> => Promise.resolve(chunk.length),
    closeWrite(): Promise<void> {
      calls.push("closeWrite");
      return Promise.resolve();
    },
    close() {
      calls.push("close");
      for (const reject of pending.splice(0)) reject(new Error("BadResource"));
    },
  } as unknown as ConstructorParameters<typeof DenoConnTransport>[0];
  return { conn, calls };
}

describe("DenoConnTransport: closing", () => {
  it("input finished (the peer sent all it will): close() alone, no half-close, no lingering read", async () => {
    const { conn, calls } = closingConn();
    const transport = new DenoConnTransport(conn, info);
    const source = transport as unknown as DirectSource;
    source.read({ [ON_CHUNK]() {}, [ON_READ_ERROR]() {} }); // pending, as the connection keeps one
    source.finish!();
    await transport.end();
    assert.deepEqual(calls, ["close"]);
  });

  it("input finished: ends at once, with no Promise to wait for (the connection closes in the same reaction)", () => {
    const { conn, calls } = closingConn();
    const transport = new DenoConnTransport(conn, info);
    (transport as unknown as DirectSource).finish!();
    assert.equal(transport.end(), undefined);
    assert.deepEqual(calls, ["close"]);
  });

  it("input cancelled: half-close first, then it lingers (reads) until the peer's end", async () => {
    const { conn, calls } = closingConn();
    const transport = new DenoConnTransport(conn, info);
    (transport as unknown as DirectSource).cancel();
    const ended = transport.end();
    assert.ok(ended instanceof Promise, "the half-close is waited for");
    await ended;
    assert.deepEqual(calls, ["closeWrite"], "still open: lingering, reading until the peer ends");
    transport[LINGER_EXPIRED]();
    assert.deepEqual(calls, ["closeWrite", "close"]);
  });

  it("over TLS: half-closes first (close_notify) even when input is finished", async () => {
    const { conn, calls } = closingConn();
    const transport = new DenoConnTransport(conn, { ...info, tls: true });
    (transport as unknown as DirectSource).finish!();
    await transport.end();
    assert.deepEqual(calls, ["closeWrite", "close"]);
  });
});

describe("DenoConnTransport: TCP_NODELAY", () => {
  /** A `Deno.Conn` stand-in that records writes and `setNoDelay` calls in order. */
  function nagleConn(): {
    conn: ConstructorParameters<typeof DenoConnTransport>[0];
    calls: string[];
  } {
    const calls: string[] = [];
    const conn = {
      write(chunk: Uint8Array): Promise<number> {
        calls.push(`write ${chunk.length}`);
        return Promise.resolve(Math.min(chunk.length, 4));
      },
      setNoDelay(on: boolean): void {
        calls.push(`setNoDelay ${on}`);
      },
    } as unknown as ConstructorParameters<typeof DenoConnTransport>[0];
    return { conn, calls };
  }

  it("leaves it unset for a connection that writes once (Nagle never holds the first write)", async () => {
    const { conn, calls } = nagleConn();
    await new DenoConnTransport(conn, info, true).write(bytes(3, 1));
    assert.deepEqual(calls, ["write 3"]);
  });

  it("sets it before the second write, once, whether a write of its own or the rest of a partial one", async () => {
    const { conn, calls } = nagleConn();
    const transport = new DenoConnTransport(conn, info, true);
    await transport.write(bytes(6, 1)); // the kernel takes 4, then the 2 left
    await transport.write(bytes(3, 2));
    assert.deepEqual(calls, ["write 6", "setNoDelay true", "write 2", "write 3"]);
  });

  it("never sets it unless asked (a Unix socket)", async () => {
    const { conn, calls } = nagleConn();
    const transport = new DenoConnTransport(conn, info);
    await transport.write(bytes(3, 1));
    await transport.write(bytes(3, 2));
    assert.deepEqual(calls, ["write 3", "write 3"]);
  });
});

/** Microtask hops (`await null`) until `done()` holds; at most 10. */
async function hopsUntil(done: () => boolean): Promise<number> {
  let hops = 0;
  while (!done() && hops < 10) {
    await null;
    hops++;
  }
  return hops;
}

/** A `Deno.Conn` stand-in whose writes settle when the test says (`settle`), whole. */
function heldWriteConn(): {
  conn: ConstructorParameters<typeof DenoConnTransport>[0];
  writes: Uint8Array[];
  settle(): void;
} {
  const writes: Uint8Array[] = [];
  const held: (() => void)[] = [];
  const conn = {
    read: (): Promise<number | null> => Promise.resolve(null),
    write(chunk: Uint8Array): Promise<number> {
      writes.push(chunk.slice());
      return new Promise((resolve) => held.push(() => resolve(chunk.length)));
    },
    closeWrite: (): Promise<void> => Promise.resolve(),
    close(): void {},
  } as unknown as ConstructorParameters<typeof DenoConnTransport>[0];
  return { conn, writes, settle: () => held.shift()!() };
}

describe("DenoConnTransport: a write's report", () => {
  it("tells the writer from the reaction to conn.write() itself, with no Promise of its own between", async () => {
    const { conn, writes, settle } = heldWriteConn();
    const transport = new DenoConnTransport(conn, info);
    const told: string[] = [];
    const writer = {
      [ON_WRITTEN]: () => told.push("written"),
      [ON_WRITE_ERROR]: (error: unknown) => told.push(`failed ${error}`),
    };
    transport.send([bytes(9, 1), bytes(64 * 1024, 2), bytes(7, 3)], writer);
    assert.equal(writes.length, 1, "framing and chunk in one write");
    assert.deepEqual(told, [], "not before the write settles");
    settle();
    // An `async` write awaiting the op would tell it a reaction later (its own Promise's).
    assert.equal(await hopsUntil(() => told.length > 0), 1);
    assert.deepEqual(told, ["written"]);
  });

  it("reacts to every write with the same two functions: no closures made per chunk", async () => {
    const reactions: unknown[][] = [];
    const writes: Uint8Array[] = [];
    const conn = {
      write(chunk: Uint8Array): Promise<number> {
        // Half of each buffer at a time: the rest is written from the same reaction.
        const n = Math.ceil(chunk.length / 2);
        writes.push(chunk.slice(0, n));
        const promise = Promise.resolve(n);
        const then = promise.then.bind(promise);
        (promise as { then: unknown }).then = (...args: Parameters<typeof then>) => {
          reactions.push(args);
          return then(...args);
        };
        return promise;
      },
    } as unknown as ConstructorParameters<typeof DenoConnTransport>[0];
    const transport = new DenoConnTransport(conn, info);
    const chunks = [[bytes(9, 1), bytes(64 * 1024, 2)], [bytes(9, 3), bytes(64 * 1024, 4)]];
    for (const gathered of chunks) await transport.writev(gathered);
    await transport.write(bytes(100, 5));
    assert.equal(reactions.length, writes.length);
    assert.ok(reactions.length > 3, `${reactions.length} writes`);
    for (const args of reactions) {
      assert.equal(args.length, 2);
      assert.equal(args[0], reactions[0][0], "the same fulfilment reaction");
      assert.equal(args[1], reactions[0][1], "the same rejection reaction");
    }
    // Each write's rest is its own, though the reactions are shared.
    assert.deepEqual(joined(writes), joined([...chunks.flat(), bytes(100, 5)]));
  });

  it("resumes a thread parked on output two microtasks after the write settles: the reaction, then the scheduler's tick", async () => {
    const { conn, writes, settle } = heldWriteConn();
    const transport = new DenoConnTransport(conn, info);
    let flushed = false;
    const hussar = new Hussar({
      highWaterMark: 4,
      *handler(c) {
        c.write(new TextEncoder().encode("more than four bytes"));
        yield* c.flush();
        flushed = true;
        c.close();
      },
    });
    hussar.addConnection(transport);
    while (writes.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    settle();
    // Three with the `async` write (its own Promise's reaction, then the connection's).
    assert.equal(await hopsUntil(() => flushed), 2);
    await hussar.whenEmpty();
    await hussar.close();
  });
});
