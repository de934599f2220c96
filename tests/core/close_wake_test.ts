/**
 * What a connection that closes costs after its last write: a sink that ends
 * at once closes it in the reaction to that write (no Promise reaction
 * later), and a connection whose thread ended in a turn is dropped at that
 * turn's end (no microtask of its own).
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { type Connection, Hussar } from "../../core/mod.ts";
import type { DirectSink, DirectSource } from "../../internal/direct_io.ts";
import { directOnlyTransport } from "../_recording_transport.ts";
import { until } from "../_until.ts";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A source that never delivers (the peer waits). */
const silent = (): DirectSource => ({ read() {}, cancel() {} });

/** A core whose one connection, on `sink`, writes once and closes; `connection()` once it ran. */
function writeAndClose(sink: DirectSink): { hussar: Hussar; connection: () => Connection | null } {
  let connection: Connection | null = null;
  const hussar = new Hussar({
    *handler(conn) {
      connection = conn;
      conn.write(encode("bye"));
      conn.close();
    },
  });
  hussar.addConnection(directOnlyTransport(silent(), sink));
  return { hussar, connection: () => connection };
}

describe("Connection: closing after its last write", () => {
  it("closes in the reaction to its last write when the sink ends at once, not a reaction later", async () => {
    let release!: () => void;
    const written = new Promise<void>((resolve) => (release = resolve));
    let ends = 0;
    const sink: DirectSink = { write: () => written, end: () => void ends++, abort() {} };
    const { hussar, connection } = writeAndClose(sink);
    await until(() => connection()?.state === "closing", 5000, "the handler closed");
    const seen: string[] = [];
    // Registered after the connection's own reaction: runs right after it, in the same checkpoint.
    void written.then(() => seen.push(connection()!.state));
    release();
    await hussar.whenEmpty();
    assert.deepEqual(seen, ["closed"]);
    assert.equal(ends, 1);
    await hussar.close();
  });

  it("waits for an end that returns a Promise", async () => {
    let ended!: () => void;
    const sink: DirectSink = {
      write: () => Promise.resolve(),
      end: () => new Promise<void>((resolve) => (ended = resolve)),
      abort() {},
    };
    const { hussar, connection } = writeAndClose(sink);
    await until(() => ended !== undefined, 5000, "the sink was ended");
    assert.equal(connection()!.state, "closing");
    ended();
    await hussar.whenEmpty();
    assert.equal(connection()!.state, "closed");
    await hussar.close();
  });
});

describe("Hussar: dropping a finished connection", () => {
  it("drops a closed connection at the end of the turn in which its thread ended", async () => {
    const hussar = new Hussar({
      *handler(conn) {
        conn.abort("done");
      },
    });
    const descriptor = hussar.addConnection(directOnlyTransport(silent(), {
      write() {},
      end() {},
      abort() {},
    }));
    let ended = false;
    let atTurnEnd: number | null = null;
    // Watches after the core's own watch (made by addConnection): sees each turn's end after it.
    const unwatch = hussar.scheduler.watch({
      onThreadEnd: (thread) => void (thread === descriptor.thread && (ended = true)),
      onTurn: () => void (ended && atTurnEnd === null && (atTurnEnd = hussar.connectionCount)),
    });
    await hussar.whenEmpty();
    unwatch();
    assert.equal(atTurnEnd, 0, "no connection left at the end of that turn");
    await hussar.close();
  });
});
