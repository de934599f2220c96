import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  type Connection,
  ConnectionClosedError,
  DeadlineError,
  Hussar,
  type HussarOptions,
  type ShuttleLike,
  type ShuttleSource,
} from "../../core/mod.ts";
import { Scheduler, sleep, VirtualClock, wait } from "../../scheduler/mod.ts";
import { FakeSource } from "../../sources/mod.ts";
import { NEXT, PREV } from "../../core/_slots.ts";
import { recordingTransport } from "../_recording_transport.ts";
import { until } from "../_until.ts";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function setup(
  handler: HussarOptions["handler"],
  options: Partial<HussarOptions> & { virtual?: boolean } = {},
): { hussar: Hussar; source: FakeSource; clock: VirtualClock | null } {
  const clock = options.virtual ? new VirtualClock() : null;
  const scheduler = options.scheduler ?? new Scheduler(clock ? { clock } : {});
  const hussar = new Hussar({ ...options, handler, scheduler });
  const source = new FakeSource();
  hussar.attachSource(source);
  return { hussar, source, clock };
}

/** Asserts the core holds nothing for finished connections. */
async function assertClean(hussar: Hussar): Promise<void> {
  await hussar.whenEmpty();
  assert.equal(hussar.connectionCount, 0);
  await hussar.close();
  await hussar.scheduler.run();
  assert.equal(hussar.scheduler.threadCount, 0, "no thread left");
  assert.equal(hussar.scheduler.timerCount, 0, "no timer left");
}

describe("Hussar: binding threads to connections", () => {
  it("calls the handler with the connection, a private frame and the shared pubframe", async () => {
    const frames: Record<string, unknown>[] = [];
    const { hussar, source } = setup(function* (conn, frame, pubframe) {
      frames.push(frame);
      pubframe.seen = ((pubframe.seen as number) ?? 0) + 1;
      frame.id = conn.id;
      conn.write(encode(`${pubframe.seen}`));
    }, { pubframe: { seen: 0 } });
    const a = await source.connect().readText();
    const b = await source.connect().readText();
    assert.deepEqual([a, b], ["1", "2"]);
    assert.notEqual(frames[0], frames[1]);
    assert.deepEqual(frames.map((f) => f.id), [1, 2]);
    assert.equal(hussar.pubframe.seen, 2);
    await assertClean(hussar);
  });

  it("runs Promise handlers too, with the Promise API of the connection", async () => {
    const { hussar, source } = setup(async (conn) => {
      const bytes = await conn.readAndWait();
      await conn.writeAndWait(encode(`got ${decode(bytes!)}`));
    });
    const client = source.connect();
    client.write("abc");
    assert.equal(await client.readText(), "got abc");
    await assertClean(hussar);
  });

  it("parks a reading thread until bytes arrive, and returns null at end of stream", async () => {
    const reads: (string | null)[] = [];
    const { hussar, source } = setup(function* (conn) {
      for (;;) {
        const chunk = yield* conn.read();
        reads.push(chunk === null ? null : decode(chunk));
        if (chunk === null) return;
      }
    });
    const client = source.connect();
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(reads, []);
    client.write("one");
    await new Promise((resolve) => setTimeout(resolve, 5));
    client.write("two");
    client.end();
    await client.readAll();
    assert.deepEqual(reads, ["one", "two", null]);
    await assertClean(hussar);
  });

  it("gives put-back bytes to the next read, before new input", async () => {
    const { hussar, source } = setup(function* (conn) {
      const first = (yield* conn.read())!;
      conn.unread(first.subarray(2));
      const again = (yield* conn.read())!;
      conn.write(again);
    });
    const client = source.connect();
    client.write("xxrest");
    assert.equal(await client.readText(), "rest");
    await assertClean(hussar);
  });

  it("closes the connection when the handler returns, sending what it wrote", async () => {
    const { hussar, source } = setup(function* (conn) {
      conn.write(encode("bye"));
    });
    const client = source.connect();
    assert.equal(await client.readText(), "bye");
    assert.ok(client.ended);
    await assertClean(hussar);
  });

  it("sends writes made in one turn as one chunk (corking)", async () => {
    const { hussar, source } = setup(function* (conn) {
      for (const part of ["a", "b", "c"]) conn.write(encode(part));
      yield* conn.drain();
      conn.write(encode("d"));
    });
    const client = source.connect();
    const chunks: string[] = [];
    for (let chunk = await client.read(); chunk !== null; chunk = await client.read()) {
      chunks.push(decode(chunk));
    }
    assert.deepEqual(chunks, ["abc", "d"]);
    await assertClean(hussar);
  });
});

describe("Hussar: handing writes to the transport", () => {
  it("joins the small writes of a turn, but hands a large one over as it is (no copy)", async () => {
    const large = new Uint8Array(64 * 1024);
    const hussar = new Hussar({
      *handler(conn) {
        conn.write(encode("ab"));
        conn.write(encode("cd"));
        conn.write(large);
        conn.write(encode("ef"));
        yield* conn.drain();
      },
    });
    const { transport, writes } = recordingTransport();
    hussar.addConnection(transport);
    await hussar.whenEmpty();
    await hussar.close();
    assert.deepEqual(writes.map((bytes) => bytes.length), [4, large.length, 2]);
    assert.equal(decode(writes[0]), "abcd");
    assert.equal(writes[1], large, "the very buffer written");
  });

  it("flushes async code's writes in a microtask through one function made once, not a closure per flush", async () => {
    let conn!: Connection;
    let done!: () => void;
    const hussar = new Hussar({
      handler: (c) => {
        conn = c;
        return new Promise<void>((resolve) => (done = resolve));
      },
    });
    const { transport, writes } = recordingTransport();
    hussar.addConnection(transport);
    const own = globalThis.queueMicrotask;
    const queued: unknown[] = [];
    globalThis.queueMicrotask = (task) => {
      queued.push(task);
      own(task);
    };
    try {
      for (const part of ["ab", "cd", "ef"]) {
        conn.write(encode(part)); // outside any turn, as a stream's pump writes
        await Promise.resolve();
        await Promise.resolve();
      }
    } finally {
      globalThis.queueMicrotask = own;
    }
    assert.deepEqual(writes.map(decode), ["ab", "cd", "ef"], "each flushed in its microtask");
    assert.equal(queued.length, 3);
    assert.ok(queued.every((task) => task === queued[0]), "the same function each time");
    done();
    await hussar.whenEmpty();
    await hussar.close();
  });
});

describe("Hussar: backpressure", () => {
  it("parks flush() while a slow reader holds more than the high-water mark", async () => {
    let flushed = 0;
    const { hussar, source } = setup(function* (conn) {
      for (let i = 0; i < 8; i++) {
        conn.write(new Uint8Array(1024));
        yield* conn.flush();
        flushed++;
      }
    }, { highWaterMark: 2048 });
    const client = source.connect({ paused: true });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(flushed <= 2, `flushed ${flushed} KiB while the reader was paused`);
    client.resume();
    const all = await client.readAll();
    assert.equal(all.length, 8 * 1024);
    assert.equal(flushed, 8);
    await assertClean(hussar);
  });

  it("sends at once what flush() and drain() would wait for: none parks if the transport takes it", async () => {
    const hussar = new Hussar({
      highWaterMark: 2048,
      *handler(conn) {
        conn.write(new Uint8Array(4096));
        yield* conn.flush();
        conn.write(new Uint8Array(100));
        yield* conn.drain();
      },
    });
    const resumes: string[] = [];
    hussar.scheduler.watch({
      onResume: (thread, signal) => {
        if (thread.name.startsWith("conn")) resumes.push(String(signal.kind));
      },
    });
    const { transport, writes } = recordingTransport();
    hussar.addConnection(transport);
    await hussar.whenEmpty();
    await hussar.close();
    assert.deepEqual(writes.map((bytes) => bytes.length), [4096, 100]);
    assert.deepEqual(resumes, ["start"], "never woken to learn that output left");
  });

  it("names each connection's thread conn#<id> from its connection, when asked", async () => {
    const names: string[] = [];
    const hussar = new Hussar({
      *handler(conn) {
        yield* conn.read();
      },
    });
    const first = hussar.addConnection(recordingTransport().transport);
    const second = hussar.addConnection(recordingTransport().transport);
    for (const descriptor of [first, second]) {
      names.push(`${descriptor.connection.id} ${descriptor.thread!.name} ${descriptor.thread}`);
      descriptor.connection.abort("test");
    }
    await hussar.whenEmpty();
    await hussar.close();
    const [a, b] = [first.connection.id, second.connection.id];
    assert.deepEqual(names, [
      `${a} conn#${a} thread "conn#${a}"#${first.thread!.id}`,
      `${b} conn#${b} thread "conn#${b}"#${second.thread!.id}`,
    ]);
  });
});

describe("Hussar: whenWritten", () => {
  it("calls back once the transport took all written so far, without parking the thread", async () => {
    const events: string[] = [];
    let connection!: Connection;
    const { hussar, source } = setup(function* (conn) {
      connection = conn;
      conn.write(encode("hello"));
      conn.whenWritten((error) => events.push(error === undefined ? "written" : "failed"));
      events.push("thread went on");
      yield* conn.read();
    });
    const client = source.connect({ paused: true });
    // The handler runs on a later turn; on a busy machine, maybe after a short timer.
    await until(() => events.length > 0, 10_000, "the handler to run");
    // The paused reader cannot take the bytes: a callback now would be a wrong one.
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(events, ["thread went on"], "not before the reader takes the bytes");
    client.resume();
    assert.equal(decode((await client.read())!), "hello");
    await until(() => events.length > 1, 10_000, "the callback once the bytes were taken");
    assert.deepEqual(events, ["thread went on", "written"]);
    connection.whenWritten((error) => events.push(error === undefined ? "at once" : "failed"));
    assert.equal(events.at(-1), "at once", "nothing buffered: called at once");
    client.end();
    await assertClean(hussar);
  });

  it("reports the connection's end when the bytes never left", async () => {
    let outcome = "pending" as unknown;
    const { hussar, source } = setup(function* (conn) {
      conn.write(encode("never taken"));
      conn.whenWritten((error) => (outcome = error));
      try {
        yield* conn.read();
      } catch {
        // The reset fails the read too.
      }
    });
    const client = source.connect({ paused: true });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(outcome === "pending", "not before the connection ends");
    client.disconnect();
    await hussar.whenEmpty();
    const failure: unknown = outcome;
    assert.ok(failure instanceof ConnectionClosedError, String(failure));
    await assertClean(hussar);
  });

  it("calls several back in the order they were asked, written or not", async () => {
    for (const taken of [true, false]) {
      const events: string[] = [];
      const note = (name: string) => (error?: unknown) =>
        events.push(error === undefined ? name : `${name} failed`);
      const { hussar, source } = setup(function* (conn) {
        for (const name of ["1", "2", "3"]) {
          conn.write(encode(name));
          conn.whenWritten(note(name));
        }
        // One asked for by a callback, with the first still waited for by the others.
        conn.whenWritten((error) => {
          note("4")(error);
          conn.whenWritten(note("5"));
        });
        try {
          yield* conn.read();
        } catch {
          // The reset fails the read too.
        }
      });
      const client = source.connect({ paused: true });
      await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(events, [], "not before the bytes leave or the connection ends");
      if (taken) {
        client.resume();
        assert.equal(decode((await client.read())!), "123");
        await until(() => events.length === 5, 10_000, "the callbacks once the bytes were taken");
        assert.deepEqual(events, ["1", "2", "3", "4", "5"]);
        client.end();
      } else {
        client.disconnect();
        await hussar.whenEmpty();
        assert.deepEqual(events, ["1 failed", "2 failed", "3 failed", "4 failed", "5 failed"]);
      }
      await assertClean(hussar);
    }
  });
});

describe("Hussar: errors", () => {
  it("reports a handler's error, aborts its connection and keeps serving others", async () => {
    const errors: [unknown, Connection][] = [];
    let n = 0;
    const { hussar, source } = setup(function* (conn) {
      if (++n === 1) throw new Error("first fails");
      conn.write(encode("fine"));
    }, { onError: (error, conn) => errors.push([error, conn]) });
    const failed = source.connect();
    assert.equal(await failed.readText(), "");
    assert.equal(await source.connect().readText(), "fine");
    assert.equal(errors.length, 1);
    assert.equal((errors[0][0] as Error).message, "first fails");
    assert.equal(errors[0][1].closeReason, "handler failed: first fails");
    await assertClean(hussar);
  });

  it("handles a handler that throws before returning a thread", async () => {
    const errors: unknown[] = [];
    const { hussar, source } = setup(() => {
      throw new Error("sync failure");
    }, { onError: (error) => errors.push(error) });
    await source.connect().readText();
    assert.equal((errors[0] as Error).message, "sync failure");
    await assertClean(hussar);
  });

  it("handles a rejected Promise handler", async () => {
    const errors: unknown[] = [];
    const { hussar, source } = setup(() => Promise.reject(new Error("async failure")), {
      onError: (error) => errors.push(error),
    });
    await source.connect().readText();
    assert.equal((errors[0] as Error).message, "async failure");
    await assertClean(hussar);
  });

  it("fails reads with ConnectionClosedError when the peer resets", async () => {
    let caught: unknown;
    const { hussar, source } = setup(function* (conn) {
      try {
        yield* conn.read();
      } catch (error) {
        caught = error;
      }
    });
    const client = source.connect();
    await new Promise((resolve) => setTimeout(resolve, 5));
    client.disconnect();
    await hussar.whenEmpty();
    assert.ok(caught instanceof ConnectionClosedError);
    assert.match((caught as Error).message, /read failed: connection reset by peer/);
    await assertClean(hussar);
  });

  it("refuses writes on a closed connection with ConnectionClosedError", async () => {
    let caught: unknown;
    const { hussar, source } = setup(function* (conn) {
      conn.close("done early");
      try {
        conn.write(encode("late"));
      } catch (error) {
        caught = error;
      }
    });
    await source.connect().readText();
    assert.ok(caught instanceof ConnectionClosedError);
    assert.equal((caught as ConnectionClosedError).reason, "done early");
    await assertClean(hussar);
  });
});

describe("Hussar: deadlines", () => {
  it("throws DeadlineError into a thread parked on I/O when its deadline passes", async () => {
    let caught: unknown;
    let at = -1;
    const { hussar, source, clock } = setup(function* (conn) {
      conn.setDeadline(5000, "headers timeout");
      try {
        yield* conn.read();
      } catch (error) {
        caught = error;
        at = clock!.now();
        conn.write(encode("408"));
      }
    }, { virtual: true });
    const client = source.connect();
    assert.equal(await client.readText(), "408");
    assert.ok(caught instanceof DeadlineError);
    assert.equal((caught as DeadlineError).reason, "headers timeout");
    assert.equal(at, 5000);
    await assertClean(hussar);
  });

  it("kills a thread that ignores its deadline after the grace period and aborts the connection", async () => {
    let cleanedUp = false;
    const { hussar, source, clock } = setup(function* (conn) {
      conn.setDeadline(100, "request timeout");
      try {
        yield new Promise(() => {}); // a handler that never resolves
      } finally {
        cleanedUp = true;
      }
    }, { virtual: true, graceMs: 50 });
    const client = source.connect();
    await client.readAll();
    await hussar.whenEmpty();
    assert.ok(cleanedUp);
    assert.equal(clock!.now(), 150);
    await assertClean(hussar);
  });

  it("keeps one timer per connection: a later deadline reuses it, an earlier one replaces it", async () => {
    const expired: [string, number][] = [];
    let timersWhileMoved = -1;
    const { hussar, source, clock } = setup(function* (conn) {
      for (const [first, second] of [[1000, 3000], [3000, 500]]) {
        conn.setDeadline(first, "first");
        conn.setDeadline(second, "second");
        timersWhileMoved = Math.max(timersWhileMoved, hussar.scheduler.timerCount);
        try {
          yield* conn.read();
        } catch (error) {
          assert.ok(error instanceof DeadlineError);
          expired.push([error.reason, clock!.now()]);
        }
      }
      conn.write(encode("done"));
    }, { virtual: true });
    const client = source.connect();
    assert.equal(await client.readText(), "done");
    // Each fires at the last deadline set, whichever way it moved.
    assert.deepEqual(expired, [["second", 3000], ["second", 3500]]);
    assert.equal(timersWhileMoved, 1, "one deadline timer for the connection");
    await assertClean(hussar);
  });

  it("times every connection's deadline with one timer, each expiring at its own time", async () => {
    const deadlines = [4000, 1000, 3000, 2000, 5000];
    const expired: [number, number][] = [];
    let timers = -1;
    let opened = 0;
    const { hussar, source, clock } = setup(function* (conn) {
      const ms = deadlines[opened++];
      // Moved later, then earlier, then to its own time: the heap keeps up with each move.
      conn.setDeadline(ms + 500, "later");
      conn.setDeadline(ms - 500, "earlier");
      conn.setDeadline(ms, "own");
      timers = Math.max(timers, hussar.scheduler.timerCount);
      try {
        yield* conn.read();
      } catch (error) {
        assert.ok(error instanceof DeadlineError);
        assert.equal(error.reason, "own");
        expired.push([ms, clock!.now()]);
      }
    }, { virtual: true });
    const clients = deadlines.map(() => source.connect());
    // The 3000 ms connection's client has left: its read ends, and its deadline goes with it.
    clients[2].end();
    await Promise.all(clients.map((client) => client.readAll()));
    assert.deepEqual(expired, [[1000, 1000], [2000, 2000], [4000, 4000], [5000, 5000]]);
    assert.equal(timers, 1, "one scheduler timer for all the connections' deadlines");
    await assertClean(hussar);
  });

  it("moves and clears deadlines without leaving timers", async () => {
    const { hussar, source } = setup(function* (conn) {
      conn.setDeadline(1000, "a");
      conn.setDeadline(2000, "b");
      conn.clearDeadline();
      yield* conn.read();
    }, { virtual: true });
    const client = source.connect();
    client.end();
    await client.readAll();
    await assertClean(hussar);
  });
});

describe("Hussar: descriptors and introspection", () => {
  it("tracks live connections by phase and state and drops them when done", async () => {
    const { hussar, source } = setup(function* (conn) {
      conn.phase = "waiting";
      yield* conn.read();
      conn.phase = "done";
    });
    const clients = [source.connect(), source.connect(), source.connect()];
    await until(() => hussar.stats().phases.waiting === 3, 10_000, "the three threads to run");
    assert.equal(hussar.connectionCount, 3);
    assert.deepEqual(hussar.stats(), {
      connections: 3,
      phases: { waiting: 3 },
      states: { open: 3 },
      accepted: 3,
      shuttles: 0,
    });
    assert.deepEqual([...hussar.descriptors()].map((d) => d.connection.id), [1, 2, 3]);
    clients[1].end();
    await until(() => hussar.connectionCount === 2, 10_000, "the ended connection to go");
    assert.deepEqual([...hussar.descriptors()].map((d) => d.connection.id), [1, 3]);
    for (const client of clients) client.end();
    await assertClean(hussar);
  });

  it("keeps descriptors in acceptance order as the first, middle and last go; a dropped one links to none", async () => {
    const { hussar, source } = setup(function* (conn) {
      yield* conn.read();
    });
    const clients = [1, 2, 3, 4, 5].map(() => source.connect());
    await until(() => hussar.connectionCount === 5, 10_000, "five connections");
    const all = [...hussar.descriptors()];
    const ids = (): number[] => [...hussar.descriptors()].map((d) => d.connection.id);
    const end = async (index: number, left: number[]): Promise<void> => {
      clients[index].end();
      await until(() => hussar.connectionCount === left.length, 10_000, `#${index + 1} to go`);
      assert.deepEqual(ids(), left);
      // A dropped descriptor that linked to live ones would keep them, and all accepted after
      // them, from the young generation's collections once it sits in the old one.
      assert.equal(all[index][PREV], null);
      assert.equal(all[index][NEXT], null);
    };
    await end(2, [1, 2, 4, 5]);
    await end(0, [2, 4, 5]);
    await end(4, [2, 4]);
    clients.push(source.connect());
    await until(() => hussar.connectionCount === 3, 10_000, "a sixth connection");
    assert.deepEqual(ids(), [2, 4, 6]);
    for (const client of clients) client.end();
    await assertClean(hussar);
    assert.deepEqual(ids(), []);
  });

  it("ends a thread that outlives its closed connection after the grace period", async () => {
    let started = false;
    let ended = false;
    const { hussar, source } = setup(function* () {
      started = true;
      try {
        yield* sleep(60_000);
      } finally {
        ended = true;
      }
    }, { virtual: true, graceMs: 10 });
    source.connect();
    await until(() => started, 10_000, "the thread to start");
    for (const d of hussar.descriptors()) d.connection.abort("peer gone");
    await hussar.whenEmpty();
    assert.ok(ended);
    await assertClean(hussar);
  });

  it("close() aborts every connection and leaves nothing behind", async () => {
    const { hussar, source } = setup(function* (conn) {
      yield* conn.read();
    });
    const clients = [source.connect(), source.connect()];
    await new Promise((resolve) => setTimeout(resolve, 5));
    await hussar.close();
    assert.equal(hussar.connectionCount, 0);
    for (const client of clients) assert.equal(await client.read(), null);
    assert.throws(() => source.connect(), /refused/);
    await hussar.scheduler.run();
    assert.equal(hussar.scheduler.threadCount, 0);
    assert.equal(hussar.scheduler.timerCount, 0);
  });
});

describe("Hussar: run and grace", () => {
  it("run() resolves once close() has finished", async () => {
    const { hussar, source } = setup(function* (conn) {
      yield* conn.read();
    });
    let ran = false;
    const running = hussar.run().then(() => (ran = true));
    source.connect();
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(ran, false);
    await hussar.close();
    await running;
    assert.equal(ran, true);
  });

  it("a thread that handles its deadline by setting a new one is not cut off", async () => {
    const { hussar, source, clock } = setup(function* (conn) {
      conn.setDeadline(100, "first");
      try {
        yield* conn.read();
      } catch (error) {
        assert.equal((error as DeadlineError).reason, "first");
        conn.setDeadline(5000, "second");
      }
      yield* sleep(200); // well past the 50 ms grace period
      conn.write(encode(`survived@${clock!.now()}`));
    }, { virtual: true, graceMs: 50 });
    assert.equal(await source.connect().readText(), "survived@300");
    await assertClean(hussar);
  });
});

describe("Hussar: limits", () => {
  it("aborts connections beyond maxConnections at once, and accepts again below it", async () => {
    const { hussar, source } = setup(function* (conn) {
      conn.write(encode(`#${conn.id}`));
      yield* conn.drain();
      yield* conn.read(); // until the client ends
    }, { maxConnections: 1 });
    const first = source.connect();
    const second = source.connect();
    assert.equal(await second.readText(), "");
    assert.equal(decode((await first.read())!), "#1");
    first.end();
    await first.readText();
    await hussar.whenEmpty();
    const third = source.connect();
    assert.equal(decode((await third.read())!), "#3");
    third.end();
    await assertClean(hussar);
    await hussar.close();
  });
});

/** A shuttle source fed by hand, as a worker pool would feed one. */
class HandFedShuttles implements ShuttleSource<ShuttleLike & { aborted: string | null }> {
  accept: ((shuttle: ShuttleLike & { aborted: string | null }) => void) | null = null;
  closed = false;
  listen(accept: (shuttle: ShuttleLike & { aborted: string | null }) => void): void {
    this.accept = accept;
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  hand(id: number): ShuttleLike & { aborted: string | null } {
    const shuttle = {
      id,
      aborted: null as string | null,
      abort(reason: string) {
        shuttle.aborted = reason;
      },
    };
    this.accept!(shuttle);
    return shuttle;
  }
}

describe("Hussar: shuttles (worker mode)", () => {
  it("runs a thread per shuttle, counts them, and is empty once they are done", async () => {
    const hussar = new Hussar({
      handler() {
        throw new Error("no connections here");
      },
    });
    const source = new HandFedShuttles();
    const served: number[] = [];
    await hussar.attachShuttles(source, function* (shuttle) {
      yield* sleep(10);
      served.push(shuttle.id);
    });
    source.hand(1);
    source.hand(2);
    assert.equal(hussar.stats().shuttles, 2);
    await hussar.whenEmpty();
    assert.deepEqual(served, [1, 2]);
    assert.equal(hussar.stats().shuttles, 0);
    await hussar.close();
    assert.equal(source.closed, true);
  });

  it("aborts a shuttle whose handler fails", async () => {
    const hussar = new Hussar({
      handler() {
        throw new Error("no connections here");
      },
    });
    const source = new HandFedShuttles();
    const logged: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args);
    try {
      await hussar.attachShuttles(source, () => Promise.reject(new Error("broken handler")));
      const shuttle = source.hand(7);
      await hussar.whenEmpty();
      assert.equal(shuttle.aborted, "handler failed: broken handler");
      assert.equal(logged.length, 1);
    } finally {
      console.error = original;
    }
    await hussar.close();
  });

  it("close() aborts the shuttles left and ends their threads, started or not", async () => {
    const scheduler = new Scheduler();
    const hussar = new Hussar({
      scheduler,
      handler() {
        throw new Error("no connections here");
      },
    });
    const source = new HandFedShuttles();
    let started = 0;
    await hussar.attachShuttles(source, function* () {
      started++;
      yield* wait(new Promise(() => {})); // never settles
    });
    const first = source.hand(1);
    await until(() => started === 1, 10_000, "the first shuttle's thread to start");
    const second = source.hand(2); // its thread is to start on a later turn
    await hussar.close("stopping");
    assert.deepEqual([first.aborted, second.aborted, started], ["stopping", "stopping", 1]);
    assert.equal(hussar.stats().shuttles, 0);
    assert.equal(scheduler.threadCount, 0);
  });
});
