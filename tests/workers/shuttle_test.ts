/**
 * A Shuttle's flow control as a specification, with the worker replaced by
 * a list of the messages it would get: the head's body travels with it, one
 * chunk is in flight at a time however the writes are called, and the end
 * follows the writes called before it.
 */
import { CONTINUE, DONE, GONE } from "../../workers/_shuttle_slots.ts";
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { Shuttle, type ShuttleHead } from "../../workers/mod.ts";

const HEAD: ShuttleHead = {
  method: "GET",
  version: "1.1",
  url: "http://test/",
  headers: [["host", "test"]],
  hasBody: false,
  remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
  localAddr: { transport: "tcp", hostname: "127.0.0.1", port: 2 },
};
const text = (bytes: Uint8Array | null | undefined): string | null =>
  bytes === null || bytes === undefined ? null : new TextDecoder().decode(bytes);
const encode = (value: string): Uint8Array => new TextEncoder().encode(value);
/** Lets every pending promise job run (a macrotask turn follows them all). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

interface Posted {
  type: string;
  body?: Uint8Array | null;
  bytes?: Uint8Array | null;
  end?: boolean;
}

/** A shuttle whose messages to its worker are kept, in order, as "type:text". */
function shuttle(): { shuttle: Shuttle; log: string[] } {
  const log: string[] = [];
  const made = new Shuttle(1, 0, 1, HEAD, (message) => {
    const posted = message as Posted;
    const bytes = posted.type === "head" ? posted.body : posted.bytes;
    log.push(`${posted.type}:${text(bytes)}${posted.type === "head" ? ` end=${posted.end}` : ""}`);
  });
  return { shuttle: made, log };
}

describe("Shuttle", () => {
  it("sends the body given with a head that does not end the response along with it", () => {
    const { shuttle: s, log } = shuttle();
    s.respond({ status: 200, headers: [] }, "first part", false);
    assert.deepEqual(log, ["head:first part end=false"]);
  });

  it("keeps one chunk in flight when writes are not awaited, and sends them in order", async () => {
    const { shuttle: s, log } = shuttle();
    s.respond({ status: 200, headers: [] }, null, false);
    const sent: string[] = [];
    const writes = ["a", "b", "c"].map((chunk) =>
      s.write(encode(chunk)).then(() => sent.push(chunk))
    );
    const ended = s.end(encode("z"));
    await settle();
    assert.deepEqual(log, ["head:null end=false", "chunk:a"], "one chunk in flight");
    assert.deepEqual(sent, ["a"]);
    s[CONTINUE](); // the worker took "a"
    await settle();
    assert.deepEqual(log, ["head:null end=false", "chunk:a", "chunk:b"]);
    assert.deepEqual(sent, ["a", "b"]);
    s[CONTINUE]();
    await settle();
    // The end follows the last write at once: it does not wait for that write's continue.
    assert.deepEqual(log, ["head:null end=false", "chunk:a", "chunk:b", "chunk:c", "end:z"]);
    await Promise.all(writes);
    s[DONE](null);
    await ended;
    assert.deepEqual(sent, ["a", "b", "c"]);
  });

  it("sends nothing more, and throws nothing, once the client is gone", async () => {
    const { shuttle: s, log } = shuttle();
    s.respond({ status: 200, headers: [] }, null, false);
    const first = s.write(encode("a"));
    const second = s.write(encode("b"));
    await first;
    s[GONE]("reset");
    await second;
    await s.write(encode("c"));
    await s.end();
    assert.deepEqual(log, ["head:null end=false", "chunk:a"]);
    assert.equal(s.signal.aborted, true);
  });

  it("refuses a write before the head and after the end", async () => {
    const { shuttle: s } = shuttle();
    await assert.rejects(s.write(encode("a")), TypeError);
    s.respond({ status: 200, headers: [] }, null, false);
    const ended = s.end();
    await assert.rejects(s.write(encode("a")), /the response has ended/);
    s[DONE](null);
    await ended;
  });
});
