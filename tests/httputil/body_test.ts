import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { type Connection, Hussar } from "../../core/mod.ts";
import {
  BodyReader,
  HttpError,
  readChunkedBody,
  readFixedBody,
  waitForHeaders,
} from "../../httputil/mod.ts";
import { type AwayCall, Scheduler, VirtualClock } from "../../scheduler/mod.ts";
import { type FakeClient, FakeSource } from "../../sources/mod.ts";
import { ON_INPUT } from "../../internal/connection_slots.ts";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Runs `body` as the handler of one fake connection fed `input`; returns what it wrote and what it threw. */
async function withConnection(
  input: string[],
  body: (conn: Connection) => AwayCall<void> | Promise<void>,
  { end = true } = {},
): Promise<{ output: string; error: unknown }> {
  let error: unknown;
  const hussar = new Hussar({
    scheduler: new Scheduler({ clock: new VirtualClock() }),
    handler(conn) {
      const run = body(conn);
      if (run instanceof Promise) return run.catch((e) => void (error = e));
      return (function* () {
        try {
          yield* run as AwayCall<void>;
        } catch (e) {
          error = e;
        }
      })();
    },
  });
  const source = new FakeSource();
  hussar.attachSource(source);
  const client = source.connect();
  for (const piece of input) client.write(piece);
  if (end) client.end();
  const output = await client.readText();
  await hussar.close();
  return { output, error };
}

describe("readFixedBody", () => {
  it("reads exactly the declared bytes and puts back what follows", async () => {
    const { output } = await withConnection(["abc", "defNEXT"], function* (conn) {
      const body = yield* readFixedBody(conn, 6);
      const rest = yield* conn.read();
      conn.write(encode(`${decode(body)}|${decode(rest!)}`));
    });
    assert.equal(output, "abcdef|NEXT");
  });

  it("fails with 400 when the peer ends before the body is complete", async () => {
    const { error } = await withConnection(["ab"], function* (conn) {
      yield* readFixedBody(conn, 5);
    });
    assert.ok(error instanceof HttpError);
    assert.equal((error as HttpError).status, 400);
  });

  it("refuses a declared length over the limit with 413 before reading", async () => {
    const { error } = await withConnection(["abcdef"], function* (conn) {
      yield* readFixedBody(conn, 6, { maxBodyBytes: 5 });
    });
    assert.equal((error as HttpError).status, 413);
  });
});

describe("readChunkedBody", () => {
  it("joins the chunks and returns the trailers", async () => {
    const { output } = await withConnection([
      "4\r\nWiki\r\n5;a=b\r\npedia\r\n0\r\nX-T: 1\r\n\r\nNEXT",
    ], function* (conn) {
      const { body, trailers } = yield* readChunkedBody(conn);
      conn.write(encode(`${decode(body)} ${trailers.get("x-t")} ${decode((yield* conn.read())!)}`));
    });
    assert.equal(output, "Wikipedia 1 NEXT");
  });

  it("fails with 413 once the chunks pass the limit", async () => {
    const { error } = await withConnection(
      ["5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"],
      function* (conn) {
        yield* readChunkedBody(conn, { maxBodyBytes: 8 });
      },
    );
    assert.equal((error as HttpError).status, 413);
  });
});

describe("BodyReader", () => {
  it("reads nothing from the connection until the body is asked for", async () => {
    const { output } = await withConnection([
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
    ], function* (conn) {
      const head = (yield* waitForHeaders(conn))!;
      const reader = new BodyReader(conn, head.framing);
      const before = `${reader.started} ${reader.bytesRead}`;
      const body = decode(yield* reader.readAll());
      conn.write(encode(`${before} -> ${reader.finished} ${reader.bytesRead} ${body}`));
    });
    assert.equal(output, "false 0 -> true 3 abc");
  });

  it("gives the body as a pull-based ReadableStream to async code", async () => {
    const { output } = await withConnection(["hello ", "stream"], async (conn) => {
      const reader = new BodyReader(conn, { kind: "length", length: 12 });
      const text = await new Response(reader.stream()).text();
      await conn.writeAndWait(encode(text));
      assert.throws(() => reader.stream(), /already taken/);
    });
    assert.equal(output, "hello stream");
  });

  it("sends 100 Continue on the first read only, when the client expects it", async () => {
    const { output } = await withConnection(["ab"], function* (conn) {
      const reader = new BodyReader(conn, { kind: "length", length: 2 }, { expectContinue: true });
      yield* reader.readAll();
      yield* reader.read();
      conn.write(encode("done"));
    });
    assert.equal(output, "HTTP/1.1 100 Continue\r\n\r\ndone");
  });

  it("takes a small body received whole with its head, leaving what follows, with no 100 Continue", async () => {
    const { output } = await withConnection([
      "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhelloNEXT",
    ], function* (conn) {
      const head = (yield* waitForHeaders(conn))!;
      const reader = new BodyReader(conn, head.framing, { expectContinue: true });
      const body = decode(reader.takeReceived(5)!);
      const next = decode((yield* conn.read())!);
      const again = reader.takeReceived(5);
      conn.write(encode(`${body} ${reader.finished} ${reader.bytesRead} ${next} ${again}`));
    });
    assert.equal(output, "hello true 5 NEXT undefined");
  });

  it("takes nothing of a body not all received, too long or chunked: the reader gets it all", async () => {
    const { output } = await withConnection(["hel", "lo"], function* (conn) {
      conn.unread((yield* conn.read())!); // "hel" is received, "lo" not yet
      const reader = new BodyReader(conn, { kind: "length", length: 5 });
      const partial = reader.takeReceived(1024);
      const tooLong = new BodyReader(conn, { kind: "length", length: 3 }).takeReceived(2);
      const chunked = new BodyReader(conn, { kind: "chunked" }).takeReceived(1024);
      const started = reader.started;
      const body = decode(yield* reader.readAll());
      conn.write(encode(`${partial} ${tooLong} ${chunked} ${started} ${body}`));
    });
    assert.equal(output, "undefined undefined undefined false hello");
  });

  it("has nothing to read for a body framed as none", async () => {
    const { output } = await withConnection(["EXTRA"], function* (conn) {
      const reader = new BodyReader(conn, { kind: "none" });
      const piece = yield* reader.read();
      conn.write(encode(`${piece} ${reader.finished} ${decode((yield* conn.read())!)}`));
    });
    assert.equal(output, "null true EXTRA");
  });

  it("discards a rest within the limit and reports a larger one", async () => {
    const { output } = await withConnection(["0123456789NEXT"], function* (conn) {
      const small = new BodyReader(conn, { kind: "length", length: 4 });
      const smallOk = yield* small.discard(8);
      const large = new BodyReader(conn, { kind: "length", length: 6 });
      const largeOk = yield* large.discard(2);
      conn.write(encode(`${smallOk} ${largeOk}`));
    });
    assert.equal(output, "true false");
  });
});

describe("waitForHeaders", () => {
  it("returns null when the peer ends before a request starts", async () => {
    const { output } = await withConnection([], function* (conn) {
      conn.write(encode(String(yield* waitForHeaders(conn))));
    });
    assert.equal(output, "null");
  });

  it("fails with 400 when the peer ends in the middle of a head", async () => {
    const { error } = await withConnection(["GET / HTTP/1.1\r\nHo"], function* (conn) {
      yield* waitForHeaders(conn);
    });
    assert.equal((error as HttpError).status, 400);
  });

  it("parses a head sent one byte at a time and puts back the bytes after it", async () => {
    const raw = "GET /x HTTP/1.1\r\nHost: a\r\n\r\nBODY";
    const { output } = await withConnection([...raw], function* (conn) {
      const head = (yield* waitForHeaders(conn))!;
      conn.write(encode(`${head.target} ${decode((yield* conn.read())!)}`));
    });
    assert.match(output, /^\/x B/);
  });

  it("refuses an over-long head at the limit, without waiting for its end", async () => {
    const { error } = await withConnection(
      ["GET / HTTP/1.1\r\nX: " + "a".repeat(200)],
      function* (conn) {
        yield* waitForHeaders(conn, {
          limits: { maxHeadBytes: 100, maxHeaderCount: 10, maxUriLength: 50 },
        });
      },
      { end: false },
    );
    assert.equal((error as HttpError).status, 431);
  });
});

/**
 * Runs `body` as the async handler of one fake connection whose client is
 * handed to it, so that it sends input while the body waits; returns what
 * the handler threw.
 */
async function withClient(
  body: (conn: Connection, client: FakeClient) => Promise<void>,
): Promise<unknown> {
  let error: unknown;
  const hussar = new Hussar({
    scheduler: new Scheduler({ clock: new VirtualClock() }),
    // A task later: `connect()` runs the handler before it returns the client.
    handler: (conn) =>
      new Promise((resolve) => setTimeout(resolve, 0))
        .then(() => body(conn, client))
        .catch((e) => void (error = e)),
  });
  const source = new FakeSource();
  hussar.attachSource(source);
  const client = source.connect();
  await client.readText();
  await hussar.close();
  return error;
}

/** Records the functions `conn` is asked to call at its next input (`ON_INPUT`). */
function recordWaits(conn: Connection): (() => void)[] {
  const waits: (() => void)[] = [];
  const slots = conn as unknown as Record<symbol, (waiter: () => void) => void>;
  const own = slots[ON_INPUT];
  slots[ON_INPUT] = function (waiter) {
    waits.push(waiter);
    return own.call(this, waiter);
  };
  return waits;
}

describe("BodyReader.stream(): its waits", () => {
  it("waits for every chunk through the same function, hanging no reaction on a Promise", async () => {
    const error = await withClient(async (conn, client) => {
      const waits = recordWaits(conn);
      const reader = new BodyReader(conn, { kind: "length", length: 8 }).stream().getReader();
      const then = Promise.prototype.then;
      let thens = 0;
      Promise.prototype.then = function (this: Promise<unknown>, ...args) {
        // Only the reader's own: the fake client's stream hangs reactions of its own.
        if (/httputil[\\/]body\.[jt]s/.test(new Error().stack?.split("\n")[2] ?? "")) thens++;
        return then.apply(this, args as Parameters<typeof then>);
      } as typeof then;
      const pieces: string[] = [];
      try {
        for (const piece of ["ab", "cd", "ef", "gh"]) {
          const read = reader.read();
          client.write(piece);
          pieces.push(decode((await read).value!));
        }
      } finally {
        Promise.prototype.then = then;
      }
      assert.deepEqual(pieces, ["ab", "cd", "ef", "gh"]);
      assert.equal((await reader.read()).done, true);
      assert.equal(thens, 0, "no `then` of the reader's own per chunk");
      assert.equal(waits.length, 4, "one wait per chunk");
      for (const wait of waits) assert.equal(wait, waits[0], "the same function each time");
      client.end();
    });
    assert.equal(error, undefined);
  });

  it("keeps one wait in flight however many reads queue behind it, and answers them in order", async () => {
    const error = await withClient(async (conn, client) => {
      const waits = recordWaits(conn);
      const reader = new BodyReader(conn, { kind: "length", length: 4 }).stream().getReader();
      // Started: each read now asks for a pull, the later two while the first is under way.
      await new Promise((resolve) => setTimeout(resolve, 0));
      const first = reader.read();
      const second = reader.read();
      const third = reader.read();
      await new Promise((resolve) => setTimeout(resolve, 0));
      assert.equal(waits.length, 1, "one wait for three reads");
      client.write("ab");
      assert.equal(decode((await first).value!), "ab");
      client.write("cd");
      assert.equal(decode((await second).value!), "cd");
      assert.equal((await third).done, true);
      assert.equal(waits.length, 2);
      client.end();
    });
    assert.equal(error, undefined);
  });

  it("enqueues nothing after a cancel: the chunk that comes during the wait is left unread", async () => {
    const error = await withClient(async (conn, client) => {
      const body = new BodyReader(conn, { kind: "length", length: 4 });
      const reader = body.stream().getReader();
      const read = reader.read();
      await new Promise((resolve) => setTimeout(resolve, 0));
      await reader.cancel("gone");
      assert.equal((await read).done, true);
      client.write("abcd");
      await new Promise((resolve) => setTimeout(resolve, 0));
      assert.equal(body.bytesRead, 0, "nothing taken for a cancelled stream");
      client.end();
    });
    assert.equal(error, undefined);
  });

  it("errors the stream when the body fails during a wait (the peer ends it short)", async () => {
    const error = await withClient(async (conn, client) => {
      const reader = new BodyReader(conn, { kind: "length", length: 6 }).stream().getReader();
      const read = reader.read();
      client.write("ab");
      assert.equal(decode((await read).value!), "ab");
      const short = reader.read();
      client.end();
      await assert.rejects(short, (e: unknown) => e instanceof HttpError && e.status === 400);
      await assert.rejects(reader.read(), HttpError);
    });
    assert.equal(error, undefined);
  });
});
