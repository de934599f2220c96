/**
 * HTTP/2 in worker mode: the worker runs the session (negotiated as in
 * single-thread mode: the preface on cleartext, ALPN `h2` first on TLS) and
 * each stream crosses to the main thread as a shuttle. Real clients (curl,
 * Node's `http2`, h2load), a request body whose WINDOW_UPDATE follows the
 * handler's reading, RST_STREAM aborting `request.signal` and cancelling the
 * response body, graceful shutdown with a stream open; after each, the
 * workers and the main thread hold nothing.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { type DataFrame, FrameType, serializeData, serializePing } from "../../http2/mod.ts";
import { connect as connectSocket } from "../sources/_socket_client.ts";
import { selfSignedCertificate } from "../_tls.ts";
import { until } from "../_until.ts";
import {
  closeClient,
  connect,
  CURL,
  curl,
  H2LOAD,
  h2loadCompletes,
  RawClient,
  request,
  shutsDownGracefully,
  skipWithout,
  start,
  workersHoldNothing,
} from "./_serve.ts";

const WORKERS = { workers: 1 };

const echo = async (request: Request): Promise<Response> =>
  new Response(`${request.method} ${request.url} ${await request.text()}`);

describe("serve() in worker mode speaks HTTP/2", () => {
  it(
    "cleartext: a connection opening with the preface speaks HTTP/2 (curl --http2-prior-knowledge)",
    {
      skip: skipWithout(CURL, "curl"),
    },
    async () => {
      const server = await start(echo, WORKERS);
      const url = `http://127.0.0.1:${server.port}/a?b=1`;
      assert.deepEqual(await curl(["--http2-prior-knowledge", url]), {
        body: `GET ${url} `,
        version: "2",
      });
      assert.deepEqual(
        await curl(["--http2-prior-knowledge", "--data-binary", "hello", url]),
        { body: `POST ${url} hello`, version: "2" },
      );
      assert.deepEqual(await curl([url]), { body: `GET ${url} `, version: "1.1" });
      await workersHoldNothing(server);
    },
  );

  it("TLS: ALPN offers h2 before http/1.1 (curl --http2 -k, and --http1.1)", {
    skip: skipWithout(CURL, "curl"),
  }, async () => {
    const server = await start(echo, { ...WORKERS, tls: selfSignedCertificate() });
    const url = `https://127.0.0.1:${server.port}/secure`;
    assert.deepEqual(await curl(["--http2", "-k", url]), { body: `GET ${url} `, version: "2" });
    assert.deepEqual(
      await curl(["--http2", "-k", "--data-binary", "x".repeat(100_000), url]),
      { body: `POST ${url} ${"x".repeat(100_000)}`, version: "2" },
    );
    assert.deepEqual(await curl(["--http1.1", "-k", url]), { body: `GET ${url} `, version: "1.1" });
    await workersHoldNothing(server);
  });

  it(
    "http2: false keeps worker mode on HTTP/1.1: TLS offers only http/1.1, the preface is a bad request",
    {
      skip: skipWithout(CURL, "curl"),
    },
    async () => {
      const secure = await start(echo, { ...WORKERS, tls: selfSignedCertificate(), http2: false });
      const url = `https://127.0.0.1:${secure.port}/w`;
      assert.deepEqual(await curl(["--http2", "-k", url]), { body: `GET ${url} `, version: "1.1" });
      const plain = await start(echo, { ...WORKERS, http2: false });
      const client = await connectSocket({ host: "127.0.0.1", port: plain.port! });
      await client.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
      await client.ended;
      assert.match(client.text(), /^HTTP\/1\.1 (400|505) /);
      await workersHoldNothing(plain);
    },
  );

  it("serves concurrent streams of one connection at once (Node's http2.connect)", async () => {
    const STREAMS = 12;
    let entered = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = await start(async (request) => {
      // No stream is answered before all have reached the handler: they are multiplexed.
      if (++entered === STREAMS) release();
      await gate;
      return new Response(`${new URL(request.url).pathname} ${request.headers.get("x-n")}`, {
        headers: { "x-version": "2" },
      });
    }, WORKERS);
    const client = connect(`http://127.0.0.1:${server.port}`);
    try {
      const answers = await Promise.all(
        Array.from(
          { length: STREAMS },
          (_, n) => request(client, { ":path": `/s${n}`, "x-n": String(n) }),
        ),
      );
      for (const [n, answer] of answers.entries()) {
        assert.equal(answer.status, 200);
        assert.equal(answer.body, `/s${n} ${n}`);
        assert.equal(answer.headers["x-version"], "2");
      }
      assert.deepEqual(client.errors, []);
    } finally {
      await closeClient(client);
    }
    await workersHoldNothing(server);
  });

  it("streams a 1 MiB request body back as the response, within both sides' windows", async () => {
    const server = await start((request) => new Response(request.body), WORKERS);
    const body = new Uint8Array(1 << 20);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 10)) & 0xff;
    const client = connect(`http://127.0.0.1:${server.port}`);
    try {
      const echoed = await new Promise<Uint8Array>((resolve, reject) => {
        const stream = client.request({ ":method": "POST", ":path": "/echo" });
        const chunks: Uint8Array[] = [];
        stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
        stream.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
        stream.on("error", reject);
        stream.end(body);
      });
      assert.equal(echoed.length, body.length);
      assert.ok(echoed.every((byte, i) => byte === body[i]), "the echo differs from the body sent");
    } finally {
      await closeClient(client);
    }
    await workersHoldNothing(server);
  });

  it("opens a stream's window only as the main thread's handler reads the body", async () => {
    let entered = false;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = await start(async (request) => {
      entered = true;
      await gate;
      return new Response(`${(await request.arrayBuffer()).byteLength} octets`);
    }, WORKERS);
    const raw = await RawClient.connect(server.port!);
    try {
      raw.send(raw.headers(1, "POST", "/upload", false));
      await until(() => entered, 10_000, "the handler to run");
      // The whole stream window (65,535 octets), then a PING: its ACK comes after the session
      // has taken every DATA frame, so a WINDOW_UPDATE they caused would be there already.
      for (let at = 0; at < 65535; at += 16384) {
        raw.send(serializeData(1, new Uint8Array(Math.min(16384, 65535 - at)), false));
      }
      raw.send(serializePing(new Uint8Array(8)));
      const from = raw.frames.length;
      await raw.next((f) => f.type === FrameType.PING && f.ack);
      assert.equal(
        raw.frames.some((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === 1),
        false,
        "the stream window was opened before the handler read anything",
      );
      release();
      await raw.next((f) => f.type === FrameType.WINDOW_UPDATE && f.streamId === 1, from);
      // Half a window consumed reopened it by that much: the rest of a body larger than 64 KiB.
      raw.send(serializeData(1, new Uint8Array(16384), false));
      raw.send(serializeData(1, new Uint8Array(16384), true));
      const data = await raw.next((f) => f.type === FrameType.DATA && f.streamId === 1);
      assert.equal(new TextDecoder().decode((data as DataFrame).data), "98303 octets");
    } finally {
      raw.close();
    }
    await workersHoldNothing(server);
  });

  it("applies the limits in the worker as in single-thread mode: maxBodyBytes, requestTimeoutMs", async () => {
    // Two servers: a request timeout short enough to wait out here would also cut off the POSTs
    // of the first on a busy machine.
    const bodies = await start(
      async (request) => new Response(`${(await request.text()).length}`),
      { ...WORKERS, maxBodyBytes: 1000 },
    );
    let client = connect(`http://127.0.0.1:${bodies.port}`);
    try {
      const small = await request(client, { ":method": "POST", ":path": "/" }, "x".repeat(1000));
      assert.deepEqual([small.status, small.body], [200, "1000"]);
      // The length is known only as DATA arrives: the handler reads, the session refuses.
      const large = await request(client, { ":method": "POST", ":path": "/" }, "x".repeat(5000));
      assert.equal(large.status, 413);
    } finally {
      await closeClient(client);
    }
    await workersHoldNothing(bodies);

    let reason = "";
    const timed = await start(async (request) => {
      await new Promise((resolve) => request.signal.addEventListener("abort", resolve));
      reason = (request.signal.reason as Error).message;
      return new Response("too late");
    }, { ...WORKERS, requestTimeoutMs: 300 });
    client = connect(`http://127.0.0.1:${timed.port}`);
    try {
      const slow = await request(client, { ":path": "/slow" });
      assert.deepEqual([slow.status, slow.body], [503, "request handler timed out\n"]);
      await until(() => reason !== "", 10_000, "the handler's signal to abort");
      assert.equal(reason, "the stream ended: request timeout");
    } finally {
      await closeClient(client);
    }
    await workersHoldNothing(timed);
  });

  it("beyond maxInFlight a stream waits for a slot; one reset while it waits gives its place up", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    const server = await start(async (request) => {
      const path = new URL(request.url).pathname;
      seen.push(path);
      if (path === "/a") await gate;
      return new Response(path);
    }, { ...WORKERS, maxInFlight: 1 });
    const threads = async (): Promise<number> =>
      (await server.workerPool!.workerStats())[0]!.threads;
    const client = connect(`http://127.0.0.1:${server.port}`);
    try {
      const a = request(client, { ":path": "/a" });
      await until(() => seen.length === 1, 10_000, "the first stream to reach the handler");
      const holding = await threads();
      const b = client.request({ ":path": "/b" });
      b.on("error", () => {});
      const c = request(client, { ":path": "/c" });
      await until(async () => await threads() === holding + 2, 10_000, "two streams to wait");
      b.close(http2.constants.NGHTTP2_CANCEL);
      // The reset stream's thread is ended after the grace period, while it waits for a slot.
      await until(async () => await threads() === holding + 1, 10_000, "/b's thread to end");
      release();
      assert.equal((await a).body, "/a");
      assert.equal((await c).body, "/c");
      assert.deepEqual(seen, ["/a", "/c"]);
    } finally {
      await closeClient(client);
    }
    await workersHoldNothing(server);
  });

  it("RST_STREAM from the client aborts request.signal and cancels the response body", async () => {
    let reason = "";
    let cancelled = false;
    const server = await start((request) => {
      if (new URL(request.url).pathname !== "/endless") return new Response("next");
      request.signal.addEventListener("abort", () => {
        reason = (request.signal.reason as Error).message;
      });
      const ticker = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("first"));
        },
        cancel() {
          cancelled = true;
        },
      });
      return new Response(ticker);
    }, WORKERS);
    const client = connect(`http://127.0.0.1:${server.port}`);
    try {
      const stream = client.request({ ":path": "/endless" });
      stream.on("error", () => {});
      await new Promise<void>((resolve) => stream.once("data", () => resolve()));
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await until(() => reason !== "" && cancelled, 10_000, "the signal to abort, the body to end");
      assert.equal(reason, "the stream ended: client reset the stream (CANCEL)");
      // The connection serves on.
      assert.equal((await request(client, { ":path": "/next" })).body, "next");
    } finally {
      await closeClient(client);
    }
    await workersHoldNothing(server);
  });

  it("a connection lost with streams open aborts each stream's request.signal", async () => {
    const reasons: string[] = [];
    const server = await start(async (request) => {
      await new Promise((resolve) => request.signal.addEventListener("abort", resolve));
      reasons.push((request.signal.reason as Error).message);
      return new Response("nobody reads this");
    }, WORKERS);
    const client = connect(`http://127.0.0.1:${server.port}`);
    for (let n = 0; n < 3; n++) client.request({ ":path": `/wait${n}` }).on("error", () => {});
    await until(() => server.hussar.stats().shuttles === 3, 10_000, "three streams to be handled");
    client.destroy();
    await until(() => reasons.length === 3, 10_000, "every signal to abort");
    for (const reason of reasons) assert.match(reason, /^the stream ended: /);
    await workersHoldNothing(server);
  });

  it("shutdown() sends GOAWAY from the worker, lets the open stream finish and refuses new ones", async () => {
    const server = await shutsDownGracefully(WORKERS);
    assert.equal(server.hussar.stats().shuttles, 0);
  });

  it("completes h2load's 2000 requests, 10 at a time on each of 4 connections, every one a 200", {
    skip: skipWithout(H2LOAD, "nghttp2-client"),
  }, async () => {
    const server = await start(
      async (request) => new Response(`${request.method} ${(await request.text()).length}`),
      WORKERS,
    );
    await h2loadCompletes(server.port!);
    await workersHoldNothing(server);
  });
});
