/**
 * The known HTTP/2 attacks, each against `serve()` with its default limits,
 * played by a raw frame client (`_client.ts`): each would bring a naive
 * server down (unbounded threads, memory or time), and each asserts the
 * server's answer as RFC 9113 or docs/http2.md says, that the handler saw
 * none of it as its fault, that the server then serves a fresh client, and
 * that once the attacker is gone it holds nothing (no connection, no thread
 * beyond those it had before).
 */
import { afterEach, describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { type HttpServer, serve } from "../../serve/mod.ts";
import type { ServeOptions } from "../../serve/types.ts";
import { ErrorCode, errorCodeName, FrameFlag, FrameType } from "../../http2/mod.ts";
import { until } from "../_until.ts";
import { H2Client, type H2ClientOptions } from "./_client.ts";

/** A body too large for any window a test leaves open: 1 MiB in 16 KiB chunks. */
const BIG_CHUNKS = 64;
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
  /** Response bodies of `/big` that were cancelled. */
  cancelled: number;
  /** The most scheduler threads seen at the end of a turn. */
  peakThreads: number;
  /** Threads before any connection. */
  baseThreads: number;
  /** Calls of `onError`: none, since every fault here is the client's. */
  appErrors: unknown[];
}

const servers: HttpServer[] = [];
const clients: H2Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.close();
});

/**
 * `serve()` with default options (but `extra`) on a free port: `/` answers
 * `ok`, `/wait` answers once released or aborted, `/big` streams 1 MiB.
 */
async function start(extra: Partial<ServeOptions> = {}): Promise<Watch> {
  const watch: Watch = {
    server: null!,
    port: 0,
    calls: 0,
    waiting: [],
    cancelled: 0,
    peakThreads: 0,
    baseThreads: 0,
    appErrors: [],
  };
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
    logger: false,
    onError(error) {
      watch.appErrors.push(error);
      return new Response("application error", { status: 500 });
    },
    ...extra,
  }, async (request) => {
    watch.calls++;
    const path = new URL(request.url).pathname;
    if (path === "/wait") {
      await new Promise<void>((resolve) => {
        watch.waiting.push(resolve);
        request.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      return new Response("released");
    }
    if (path === "/big") {
      let sent = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            controller.enqueue(CHUNK.slice());
            if (++sent === BIG_CHUNKS) controller.close();
          },
          cancel() {
            watch.cancelled++;
          },
        }),
      );
    }
    return new Response("ok");
  });
  servers.push(server);
  await server.ready;
  watch.server = server;
  watch.port = (server.addr as { port: number }).port;
  const scheduler = server.hussar.scheduler;
  watch.baseThreads = scheduler.threadCount;
  scheduler.watch({
    onTurn() {
      if (scheduler.threadCount > watch.peakThreads) watch.peakThreads = scheduler.threadCount;
    },
  });
  return watch;
}

async function client(watch: Watch, options?: H2ClientOptions): Promise<H2Client> {
  const c = await H2Client.connect(watch.port, options);
  clients.push(c);
  return c;
}

/** Asserts the connection ends with GOAWAY(`code`) and a close. */
async function goesAway(c: H2Client, code: number): Promise<void> {
  const goaway = await c.goaway();
  assert.equal(
    errorCodeName(goaway.errorCode),
    errorCodeName(code),
    `GOAWAY code; received ${c.summary()}`,
  );
  await c.whenClosed();
}

/**
 * The server serves a fresh client over HTTP/2, then, once every client is
 * gone, holds no connection and no thread beyond those it had at the start;
 * the application was never blamed.
 */
async function recovers(watch: Watch): Promise<void> {
  const fresh = await client(watch);
  fresh.request(1, "/");
  const answer = await fresh.answer(1);
  assert.equal(answer.status, 200, `fresh client: ${fresh.summary()}`);
  assert.equal(answer.body, "ok");
  for (const c of clients.splice(0)) c.close();
  for (const release of watch.waiting.splice(0)) release();
  const { hussar } = watch.server;
  await until(
    () => hussar.connectionCount === 0 && hussar.scheduler.threadCount <= watch.baseThreads,
    10_000,
    `nothing left (connections ${hussar.connectionCount}, threads ${hussar.scheduler.threadCount} ` +
      `of ${watch.baseThreads} at the start)`,
  );
  assert.deepEqual(watch.appErrors, [], "a client's fault was reported as the application's");
}

/** RST_STREAM(CANCEL) on `streamId`, as bytes. */
function rstBytes(streamId: number): Uint8Array {
  const frame = new Uint8Array(13);
  frame.set([0, 0, 4, FrameType.RST_STREAM, 0]);
  new DataView(frame.buffer).setUint32(5, streamId);
  new DataView(frame.buffer).setUint32(9, ErrorCode.CANCEL);
  return frame;
}

/** A frame of `type` with `payload`, as bytes (for batched floods). */
function frameBytes(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const frame = new Uint8Array(9 + payload.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, payload.length << 8 | type);
  frame[4] = flags;
  view.setUint32(5, streamId);
  frame.set(payload, 9);
  return frame;
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

/** `GET /` with `:authority` as a literal that leaves the dynamic table alone. */
const GET_ROOT = [0x82, 0x86, 0x84, 0x01, ...hpackString("localhost")];

describe("HTTP/2 attacks on serve() with default options", () => {
  it("rapid reset (CVE-2023-44487): streams reset before their answer end in GOAWAY(ENHANCE_YOUR_CALM), with threads bounded", async () => {
    const watch = await start();
    const c = await client(watch);
    const batch: Uint8Array[] = [];
    for (let i = 0; i < FLOOD / 2; i++) {
      const id = 1 + 2 * i;
      batch.push(c.requestBytes(id, "/wait"), rstBytes(id));
    }
    c.send(...batch);
    await goesAway(c, ErrorCode.ENHANCE_YOUR_CALM);
    assert.ok(watch.calls < FLOOD / 2, `${watch.calls} handlers ran for ${FLOOD / 2} streams`);
    // A stream counts against the 100 concurrent ones until its thread has finished.
    assert.ok(
      watch.peakThreads <= watch.baseThreads + 100 + 8,
      `${watch.peakThreads} threads at the peak (${watch.baseThreads} at the start)`,
    );
    await recovers(watch);
  });

  it("CONTINUATION flood (CVE-2024-27316): empty CONTINUATION frames without END_HEADERS end in GOAWAY(ENHANCE_YOUR_CALM)", async () => {
    const watch = await start();
    const c = await client(watch);
    const head = c.requestBytes(1, "/");
    // The same block, without END_HEADERS: the CONTINUATION frames never end it.
    head[4] = FrameFlag.END_STREAM;
    const flood = [head];
    for (let i = 0; i < FLOOD; i++) flood.push(frameBytes(FrameType.CONTINUATION, 0, 1));
    c.send(...flood);
    await goesAway(c, ErrorCode.ENHANCE_YOUR_CALM);
    assert.equal(watch.calls, 0);
    await recovers(watch);
  });

  it("CONTINUATION flood: a header block growing past the header list limit ends in GOAWAY(ENHANCE_YOUR_CALM) as it arrives", async () => {
    const watch = await start();
    const c = await client(watch);
    const head = c.requestBytes(1, "/");
    head[4] = FrameFlag.END_STREAM;
    // 16 MiB of a block that never ends, were it all read.
    const filler = new Uint8Array(16384).fill(0x40);
    const flood = [head];
    for (let i = 0; i < 1024; i++) flood.push(frameBytes(FrameType.CONTINUATION, 0, 1, filler));
    c.send(...flood);
    await goesAway(c, ErrorCode.ENHANCE_YOUR_CALM);
    assert.equal(watch.calls, 0);
    await recovers(watch);
  });

  it("HPACK bomb: one table entry named many times is refused with 431, the connection's HPACK state intact", async () => {
    const watch = await start();
    const c = await client(watch);
    // Stream 1 puts a 4000-octet field in the dynamic table (index 62) ...
    const entry = [0x40, ...hpackString("x-bomb"), ...hpackString("a".repeat(4000))];
    c.send(frameBytes(FrameType.HEADERS, 5, 1, Uint8Array.from([...GET_ROOT, ...entry])));
    // ... which stream 3 names 12,000 times: 12 KB of block, 48 MB of header list.
    const bomb = Uint8Array.from([...GET_ROOT, ...new Array(12_000).fill(0xbe)]);
    c.send(frameBytes(FrameType.HEADERS, 5, 3, bomb));
    c.send(frameBytes(FrameType.HEADERS, 5, 5, Uint8Array.from(GET_ROOT)));
    assert.equal((await c.answer(1)).status, 200);
    const bombed = await c.answer(3);
    assert.equal(bombed.status, 431, `stream 3: ${c.summary()}`);
    // The block was decoded to its end, so the next one decodes in step.
    assert.equal((await c.answer(5)).body, "ok");
    assert.equal(watch.calls, 2);
    await recovers(watch);
  });

  for (
    const [name, flood] of [
      ["SETTINGS", () => frameBytes(FrameType.SETTINGS, 0, 0)],
      ["PING", () => frameBytes(FrameType.PING, 0, 0, new Uint8Array(8))],
      ["PRIORITY", () => frameBytes(FrameType.PRIORITY, 0, 3, Uint8Array.of(0, 0, 0, 1, 15))],
    ] as const
  ) {
    it(`${name} flood: frames that each cost the server an answer or a record end in GOAWAY(ENHANCE_YOUR_CALM)`, async () => {
      const watch = await start();
      const c = await client(watch);
      const frame = flood();
      c.send(...new Array(FLOOD).fill(frame));
      await goesAway(c, ErrorCode.ENHANCE_YOUR_CALM);
      const acks = c.frames.filter((f) =>
        f.type === FrameType.PING || (f.type === FrameType.SETTINGS && f.ack)
      ).length;
      assert.ok(acks < FLOOD, `${acks} answers to ${FLOOD} frames`);
      await recovers(watch);
    });
  }

  it("empty DATA flood: zero-length DATA frames on an open stream end in GOAWAY(ENHANCE_YOUR_CALM)", async () => {
    const watch = await start();
    const c = await client(watch);
    c.request(1, "/wait", { method: "POST", endStream: false });
    c.send(...new Array(FLOOD).fill(frameBytes(FrameType.DATA, 0, 1)));
    await goesAway(c, ErrorCode.ENHANCE_YOUR_CALM);
    await recovers(watch);
  });

  it("zero-window stall: a stream whose window the peer never opens is reset after writeTimeoutMs, its body cancelled", async () => {
    const watch = await start({ writeTimeoutMs: 300 });
    const c = await client(watch, { settings: { initialWindowSize: 0 } });
    c.request(1, "/big");
    const answer = await c.answer(1);
    assert.equal(answer.body, "", "no DATA fits a zero window");
    assert.notEqual(answer.reset, undefined, `stream 1 reset; received ${c.summary()}`);
    await until(() => watch.cancelled === 1, 10_000, "the response body to be cancelled");
    await recovers(watch);
  });

  it("zero-window stall: a connection whose window the peer never opens goes away after writeTimeoutMs", async () => {
    const watch = await start({ writeTimeoutMs: 300 });
    // Stream windows as large as can be; the connection's stays at 65,535 octets.
    const c = await client(watch, { settings: { initialWindowSize: 2 ** 31 - 1 } });
    c.request(1, "/big");
    await c.goaway();
    await c.whenClosed();
    const sent = c.frames.reduce((n, f) => n + (f.type === FrameType.DATA ? f.data.length : 0), 0);
    assert.equal(sent, 65_535, "DATA up to the connection window, then nothing");
    await until(() => watch.cancelled === 1, 10_000, "the response body to be cancelled");
    await recovers(watch);
  });

  it("stream ids: a lower id than one already used is a connection PROTOCOL_ERROR (§5.1.1)", async () => {
    const watch = await start();
    const c = await client(watch);
    c.request(5, "/");
    assert.equal((await c.answer(5)).body, "ok");
    c.request(3, "/");
    await goesAway(c, ErrorCode.PROTOCOL_ERROR);
    assert.equal((await c.goaway()).lastStreamId, 5);
    assert.equal(watch.calls, 1);
    await recovers(watch);
  });

  it("stream ids: an even id from a client is a connection PROTOCOL_ERROR (§5.1.1)", async () => {
    const watch = await start();
    const c = await client(watch);
    c.request(2, "/");
    await goesAway(c, ErrorCode.PROTOCOL_ERROR);
    assert.equal(watch.calls, 0);
    await recovers(watch);
  });

  it("stream ids: the last one (2^31-1) is served, then the connection is drained with GOAWAY", async () => {
    // Long enough that a GOAWAY within the wait below is the drain, not the idle timeout.
    const watch = await start({ keepAliveTimeoutMs: 60_000 });
    const c = await client(watch);
    const last = 2 ** 31 - 1;
    c.request(last, "/");
    assert.equal((await c.answer(last)).body, "ok");
    const goaway = await c.goaway();
    assert.equal(goaway.lastStreamId, last);
    assert.equal(errorCodeName(goaway.errorCode), "NO_ERROR");
    await c.whenClosed();
    await recovers(watch);
  });

  it("too many concurrent streams: the 101st is refused with REFUSED_STREAM, the others go on (§5.1.2)", async () => {
    const watch = await start();
    const c = await client(watch);
    const batch: Uint8Array[] = [];
    for (let i = 0; i <= 100; i++) batch.push(c.requestBytes(1 + 2 * i, "/wait"));
    c.send(...batch);
    const refused = await c.answer(201);
    assert.equal(errorCodeName(refused.reset ?? -1), "REFUSED_STREAM", c.summary());
    await until(() => watch.waiting.length === 100, 10_000, "100 handlers waiting");
    assert.equal(watch.calls, 100);
    for (const release of watch.waiting.splice(0)) release();
    for (let i = 0; i < 100; i++) assert.equal((await c.answer(1 + 2 * i)).body, "released");
    c.request(203, "/");
    assert.equal((await c.answer(203)).body, "ok", "a new stream once the others are done");
    await recovers(watch);
  });
});
