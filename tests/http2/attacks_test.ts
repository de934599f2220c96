/**
 * The known HTTP/2 attacks, each against `serve()` with its default limits,
 * played by the raw frame client (`_serve.ts`'s `RawClient`): each would
 * bring a naive server down (unbounded threads, memory or time), and each
 * asserts the server's answer as RFC 9113 or docs/http2.md says, that the
 * application was not blamed, that the server then serves a fresh client,
 * and that once the attacker is gone it holds nothing. Too many concurrent
 * streams (REFUSED_STREAM) and a stream id that goes back are in
 * `streams_test.ts`.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  CONNECTION_PREFACE,
  ErrorCode,
  errorCodeName,
  type Frame,
  FrameFlag,
  FrameParser,
  FrameType,
  type GoawayFrame,
  HpackEncoder,
  http2Handler,
  serializeFrame,
  serializeHeaders,
  serializePing,
  serializeRstStream,
  serializeSettings,
} from "../../http2/mod.ts";
import { Hussar } from "../../core/hussar.ts";
import { FakeSource } from "../../sources/fake.ts";
import type { HttpServer } from "../../serve/mod.ts";
import type { ServeOptions } from "../../serve/types.ts";
import { concatBytes } from "../../internal/bytes.ts";
import { until } from "../_until.ts";
import { holdsNothing, RawClient, start } from "./_serve.ts";

/** A chunk of `/endless`, whose body never ends (so it is streamed, never gathered whole). */
const CHUNK = new Uint8Array(16384).fill(0x62);
/** How many frames a flood sends: far past any threshold a server should have. */
const FLOOD = 20_000;

/** What a server under attack let through to the application. */
interface Watch {
  server: HttpServer;
  port: number;
  /** Handler calls. */
  calls: number;
  /** Handlers waiting on `/wait`, each released with its function. */
  waiting: (() => void)[];
  /** Response bodies of `/endless` that were cancelled. */
  cancelled: number;
  /** The most scheduler threads seen at the end of a turn. */
  peakThreads: number;
  /** Threads before any connection. */
  baseThreads: number;
  /** Calls of `onError`: none, since every fault here is the client's. */
  appErrors: unknown[];
  /** The raw clients, closed by {@linkcode recovers}. */
  clients: RawClient[];
}

/**
 * `serve()` with default options (but `extra`): `/` answers `ok`, `/wait`
 * answers once released or aborted, `/endless` streams a body that never
 * ends.
 */
async function serveWatched(extra: ServeOptions = {}): Promise<Watch> {
  const watch: Watch = {
    server: null!,
    port: 0,
    calls: 0,
    waiting: [],
    cancelled: 0,
    peakThreads: 0,
    baseThreads: 0,
    appErrors: [],
    clients: [],
  };
  watch.server = await start(async (request) => {
    watch.calls++;
    const path = new URL(request.url).pathname;
    if (path === "/wait") {
      await new Promise<void>((resolve) => {
        watch.waiting.push(resolve);
        request.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      return new Response("released");
    }
    if (path === "/endless") {
      return new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            controller.enqueue(CHUNK.slice());
          },
          cancel() {
            watch.cancelled++;
          },
        }),
      );
    }
    return new Response("ok");
  }, {
    logger: false,
    onError(error) {
      watch.appErrors.push(error);
      return new Response("application error", { status: 500 });
    },
    ...extra,
  });
  watch.port = watch.server.port!;
  const scheduler = watch.server.hussar.scheduler;
  watch.baseThreads = scheduler.threadCount;
  scheduler.watch({
    onTurn() {
      if (scheduler.threadCount > watch.peakThreads) watch.peakThreads = scheduler.threadCount;
    },
  });
  return watch;
}

async function client(
  watch: Watch,
  settings?: Parameters<typeof RawClient.connect>[1],
): Promise<RawClient> {
  const raw = await RawClient.connect(watch.port, settings);
  watch.clients.push(raw);
  return raw;
}

/** The frames received, as `TYPE(stream)` with error codes, for failure messages. */
function summary(raw: RawClient): string {
  const names = Object.keys(FrameType);
  const parts = raw.frames.map((f) =>
    `${names[f.type]}(${f.streamId}${
      f.type === FrameType.GOAWAY || f.type === FrameType.RST_STREAM
        ? ` ${errorCodeName(f.errorCode)}`
        : ""
    })`
  );
  const shown = parts.length > 20 ? [...parts.slice(0, 10), "...", ...parts.slice(-10)] : parts;
  return `${parts.length} frames: ${shown.join(" ")}`;
}

/** A stream's answer: status and body, or the code it was reset with. */
async function answer(
  raw: RawClient,
  id: number,
): Promise<{ status: number; body: string; reset?: number }> {
  const last = await raw.next((f) =>
    f.streamId === id &&
    (f.type === FrameType.RST_STREAM ||
      ((f.type === FrameType.DATA || f.type === FrameType.HEADERS) && f.endStream))
  ).catch((error) => {
    throw new Error(`stream ${id}: ${error.message}; received ${summary(raw)}`);
  });
  const out: { status: number; body: string; reset?: number } = { status: 0, body: "" };
  const decoder = new TextDecoder();
  for (const f of raw.frames.filter((f) => f.streamId === id)) {
    if (f.type === FrameType.HEADERS && out.status === 0) {
      out.status = Number(raw.fieldsOf(f).get(":status"));
    } else if (f.type === FrameType.DATA) out.body += decoder.decode(f.data, { stream: true });
  }
  if (last.type === FrameType.RST_STREAM) out.reset = last.errorCode;
  return out;
}

/** The server's GOAWAY. */
async function goaway(raw: RawClient): Promise<GoawayFrame> {
  return await raw.next((f: Frame) => f.type === FrameType.GOAWAY).catch((error) => {
    throw new Error(`GOAWAY: ${error.message}; received ${summary(raw)}`);
  }) as GoawayFrame;
}

/** Asserts the connection ends with GOAWAY(`code`) and a close. */
async function goesAway(raw: RawClient, code: number): Promise<void> {
  const frame = await goaway(raw);
  assert.equal(errorCodeName(frame.errorCode), errorCodeName(code), summary(raw));
  await raw.closed();
}

/**
 * The server serves a fresh client over HTTP/2, then, once every client is
 * gone, holds no connection and no thread beyond those it had at the start;
 * the application was never blamed.
 */
async function recovers(watch: Watch): Promise<void> {
  const fresh = await client(watch);
  fresh.send(fresh.headers(1, "GET", "/", true));
  assert.deepEqual(await answer(fresh, 1), { status: 200, body: "ok" });
  for (const raw of watch.clients) raw.close();
  for (const release of watch.waiting.splice(0)) release();
  await holdsNothing(watch.server);
  assert.deepEqual(watch.appErrors, [], "a client's fault was reported as the application's");
}

/** An HPACK integer (RFC 7541 §5.1) with an N-bit prefix under `flags`. */
function hpackInt(value: number, prefix: number, flags: number): number[] {
  const max = (1 << prefix) - 1;
  if (value < max) return [flags | value];
  const out = [flags | max];
  for (value -= max; value >= 128; value >>>= 7) out.push((value & 0x7f) | 0x80);
  out.push(value);
  return out;
}

/** An HPACK string literal, not Huffman-coded. */
function hpackString(s: string): number[] {
  return [...hpackInt(s.length, 7, 0), ...new TextEncoder().encode(s)];
}

/** A HEADERS frame's flags for a whole request in one frame. */
const WHOLE = FrameFlag.END_HEADERS | FrameFlag.END_STREAM;

/** `GET /` with `:authority` as a literal that leaves the dynamic table alone. */
const GET_ROOT = [0x82, 0x86, 0x84, 0x01, ...hpackString("localhost")];

describe("HTTP/2 attacks on serve() with default options", () => {
  it("rapid reset (CVE-2023-44487): streams reset before their answer end in GOAWAY(ENHANCE_YOUR_CALM), with threads bounded", async () => {
    const watch = await serveWatched();
    const raw = await client(watch);
    const batch: Uint8Array[] = [];
    for (let i = 0; i < FLOOD / 2; i++) {
      const id = 1 + 2 * i;
      batch.push(raw.headers(id, "GET", "/wait", true), serializeRstStream(id, ErrorCode.CANCEL));
    }
    raw.send(concatBytes(batch));
    await goesAway(raw, ErrorCode.ENHANCE_YOUR_CALM);
    assert.ok(watch.calls < FLOOD / 2, `${watch.calls} handlers ran for ${FLOOD / 2} streams`);
    // A stream counts against the 100 concurrent ones until its thread has finished.
    assert.ok(
      watch.peakThreads <= watch.baseThreads + 100 + 8,
      `${watch.peakThreads} threads at the peak (${watch.baseThreads} at the start)`,
    );
    await recovers(watch);
  });

  it("CONTINUATION flood (CVE-2024-27316): empty CONTINUATION frames without END_HEADERS end in GOAWAY(ENHANCE_YOUR_CALM)", async () => {
    const watch = await serveWatched();
    const raw = await client(watch);
    // A request's block, without END_HEADERS: the CONTINUATION frames never end it.
    const head = raw.headers(1, "GET", "/", true);
    head[4] = FrameFlag.END_STREAM;
    const empty = serializeFrame(FrameType.CONTINUATION, 0, 1);
    raw.send(concatBytes([head, ...new Array(FLOOD).fill(empty)]));
    await goesAway(raw, ErrorCode.ENHANCE_YOUR_CALM);
    assert.equal(watch.calls, 0);
    await recovers(watch);
  });

  it("CONTINUATION flood: a header block growing past the header list limit ends in GOAWAY(ENHANCE_YOUR_CALM) as it arrives", async () => {
    const watch = await serveWatched();
    const raw = await client(watch);
    const head = raw.headers(1, "GET", "/", true);
    head[4] = FrameFlag.END_STREAM;
    // 16 MiB of a block that never ends, were it all read.
    const full = serializeFrame(FrameType.CONTINUATION, 0, 1, new Uint8Array(16384).fill(0x40));
    raw.send(concatBytes([head, ...new Array(1024).fill(full)]));
    await goesAway(raw, ErrorCode.ENHANCE_YOUR_CALM);
    assert.equal(watch.calls, 0);
    await recovers(watch);
  });

  it("HPACK bomb: one table entry named many times is refused with 431, the connection's HPACK state intact", async () => {
    const watch = await serveWatched();
    const raw = await client(watch);
    // Stream 1 puts a 4000-octet field in the dynamic table (index 62) ...
    const entry = [0x40, ...hpackString("x-bomb"), ...hpackString("a".repeat(4000))];
    raw.send(serializeFrame(FrameType.HEADERS, WHOLE, 1, Uint8Array.from([...GET_ROOT, ...entry])));
    // ... which stream 3 names 12,000 times: 12 KB of block, 48 MB of header list.
    const bomb = Uint8Array.from([...GET_ROOT, ...new Array(12_000).fill(0xbe)]);
    raw.send(serializeFrame(FrameType.HEADERS, WHOLE, 3, bomb));
    raw.send(serializeFrame(FrameType.HEADERS, WHOLE, 5, Uint8Array.from(GET_ROOT)));
    assert.equal((await answer(raw, 1)).status, 200);
    assert.equal((await answer(raw, 3)).status, 431, summary(raw));
    // The block was decoded to its end, so the next one decodes in step.
    assert.equal((await answer(raw, 5)).body, "ok");
    assert.equal(watch.calls, 2);
    await recovers(watch);
  });

  for (
    const [name, frame] of [
      ["SETTINGS", serializeFrame(FrameType.SETTINGS, 0, 0)],
      ["PING", serializeFrame(FrameType.PING, 0, 0, new Uint8Array(8))],
      ["PRIORITY", serializeFrame(FrameType.PRIORITY, 0, 3, Uint8Array.of(0, 0, 0, 1, 15))],
    ] as const
  ) {
    it(`${name} flood: frames that each cost the server an answer or a record end in GOAWAY(ENHANCE_YOUR_CALM)`, async () => {
      const watch = await serveWatched();
      const raw = await client(watch);
      raw.send(concatBytes(new Array(FLOOD).fill(frame)));
      await goesAway(raw, ErrorCode.ENHANCE_YOUR_CALM);
      const answers = raw.frames.filter((f) =>
        f.type === FrameType.PING || (f.type === FrameType.SETTINGS && f.ack)
      ).length;
      assert.ok(answers < FLOOD, `${answers} answers to ${FLOOD} frames`);
      await recovers(watch);
    });
  }

  it("empty DATA flood: zero-length DATA frames on an open stream end in GOAWAY(ENHANCE_YOUR_CALM)", async () => {
    const watch = await serveWatched();
    const raw = await client(watch);
    const empty = serializeFrame(FrameType.DATA, 0, 1);
    raw.send(
      concatBytes([raw.headers(1, "POST", "/wait", false), ...new Array(FLOOD).fill(empty)]),
    );
    await goesAway(raw, ErrorCode.ENHANCE_YOUR_CALM);
    await recovers(watch);
  });

  it("zero-window stall: a stream whose window the peer never opens is reset after writeTimeoutMs, its body cancelled", async () => {
    const watch = await serveWatched({ writeTimeoutMs: 300 });
    const raw = await client(watch, { initialWindowSize: 0 });
    raw.send(raw.headers(1, "GET", "/endless", true));
    const stalled = await answer(raw, 1);
    assert.equal(stalled.body, "", "no DATA fits a zero window");
    assert.notEqual(stalled.reset, undefined, `stream 1 reset; received ${summary(raw)}`);
    await until(() => watch.cancelled === 1, 10_000, "the response body to be cancelled");
    await recovers(watch);
  });

  it("zero-window stall: a connection whose window the peer never opens goes away after writeTimeoutMs", async () => {
    const watch = await serveWatched({ writeTimeoutMs: 300 });
    // Stream windows as large as can be; the connection's stays at 65,535 octets.
    const raw = await client(watch, { initialWindowSize: 2 ** 31 - 1 });
    raw.send(raw.headers(1, "GET", "/endless", true));
    await goaway(raw);
    await raw.closed();
    const sent = raw.frames.reduce(
      (n, f) => n + (f.type === FrameType.DATA ? f.data.length : 0),
      0,
    );
    assert.equal(sent, 65_535, "DATA up to the connection window, then nothing");
    await until(() => watch.cancelled === 1, 10_000, "the response body to be cancelled");
    await recovers(watch);
  });

  it("stream ids: an even id from a client is a connection PROTOCOL_ERROR (§5.1.1)", async () => {
    const watch = await serveWatched();
    const raw = await client(watch);
    raw.send(raw.headers(2, "GET", "/", true));
    await goesAway(raw, ErrorCode.PROTOCOL_ERROR);
    assert.equal(watch.calls, 0);
    await recovers(watch);
  });

  it("stream ids: the last one (2^31-1) is served, then the connection is drained with GOAWAY", async () => {
    // Long enough that a GOAWAY within the wait below is the drain, not the idle timeout.
    const watch = await serveWatched({ keepAliveTimeoutMs: 60_000 });
    const raw = await client(watch);
    const last = 2 ** 31 - 1;
    raw.send(raw.headers(last, "GET", "/", true));
    assert.equal((await answer(raw, last)).body, "ok");
    const frame = await goaway(raw);
    assert.deepEqual([errorCodeName(frame.errorCode), frame.lastStreamId], ["NO_ERROR", last]);
    await raw.closed();
    await recovers(watch);
  });
});

describe("HTTP/2 attacks on the session, in memory", () => {
  it("PINGs from a client that never reads: their ACKs stop at the output's high-water mark, the connection is aborted after writeTimeoutMs, a fresh client is served", async () => {
    const highWaterMark = 2048;
    const hussar = new Hussar({
      handler: http2Handler(() => ({ status: 200, body: "ok" }), { writeTimeoutMs: 300 }),
      highWaterMark,
      logger: false,
    });
    const source = new FakeSource();
    hussar.attachSource(source);
    let peak = 0;
    hussar.scheduler.watch({
      onTurn() {
        for (const { connection } of hussar.descriptors()) {
          if (connection.bufferedAmount > peak) peak = connection.bufferedAmount;
        }
      },
    });
    try {
      const attacker = source.connect({ paused: true });
      // Fewer than the flood limit (1000 a second), but 15 KB of ACKs: seven times the mark.
      const pings = new Array(900).fill(serializePing(new Uint8Array(8)));
      attacker.write(concatBytes([CONNECTION_PREFACE, serializeSettings({}), ...pings]));
      // Aborted: the server holds it no more (its pending write stays with the paused client).
      await until(() => hussar.connectionCount === 0, 10_000, "the attacker's connection to end");
      // Past the mark by at most the frame that crossed it: one ACK (17 octets).
      assert.ok(peak > highWaterMark, `the output reached the mark (peak ${peak})`);
      assert.ok(peak <= highWaterMark + 17, `peak output ${peak} octets`);

      const fresh = source.connect();
      const request = new HpackEncoder().encode([
        [":method", "GET"],
        [":scheme", "http"],
        [":authority", "a.test"],
        [":path", "/"],
      ]);
      fresh.write(
        concatBytes([
          CONNECTION_PREFACE,
          serializeSettings({}),
          serializeHeaders(1, request, true),
        ]),
      );
      const parser = new FrameParser({ preface: false });
      let body = "";
      while (!body.endsWith("ok")) {
        const chunk = await fresh.read();
        assert.ok(chunk !== null, "the fresh client's connection ended before its answer");
        parser.push(chunk);
        for (let frame = parser.next(); frame !== null; frame = parser.next()) {
          if (frame.type === FrameType.DATA) body += new TextDecoder().decode(frame.data);
        }
      }
      fresh.end();
      await until(() => hussar.connectionCount === 0, 10_000, "both connections to be gone");
    } finally {
      await hussar.close();
    }
  });
});
