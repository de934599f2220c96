import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { Connection, Hussar } from "../../core/mod.ts";
import {
  type HttpApp,
  httpHandler,
  type HttpResponse,
  type HttpServerOptions,
  respondOn,
} from "../../httputil/mod.ts";
import { Scheduler, sleep, VirtualClock } from "../../scheduler/mod.ts";
import { type FakeClient, FakeSource } from "../../sources/mod.ts";
import { answersTo, header, parseResponses } from "../_http.ts";
import { recordingTransport } from "../_recording_transport.ts";
import { directSinkOf } from "../../internal/direct_io.ts";
import { until } from "../_until.ts";

interface Server {
  hussar: Hussar;
  source: FakeSource;
  clock: VirtualClock;
  errors: unknown[];
  /** Sends `raw`, ends the client side once answered when asked, and returns everything until the server closes. */
  exchange(raw: string | string[], options?: { end?: boolean }): Promise<string>;
  /** Asserts nothing is left of finished connections, then shuts the core down. */
  finish(): Promise<void>;
}

function serve(app: HttpApp, options: HttpServerOptions = {}, graceMs = 1000): Server {
  const clock = new VirtualClock();
  const errors: unknown[] = [];
  const hussar = new Hussar({
    scheduler: new Scheduler({ clock }),
    graceMs,
    handler: httpHandler(app, { onError: (e) => errors.push(e), ...options }),
  });
  const source = new FakeSource();
  hussar.attachSource(source);
  return {
    hussar,
    source,
    clock,
    errors,
    async exchange(raw, { end = true } = {}) {
      const client = source.connect();
      const pieces = Array.isArray(raw) ? raw : [raw];
      for (const piece of pieces) client.write(piece);
      let text = "";
      if (end) {
        // The client leaves once answered: a FIN while a response is owed means it gave up.
        const answered = answersTo(pieces.join(""));
        while (!answered(text)) {
          const chunk = await client.read();
          if (chunk === null) return text;
          text += String.fromCharCode(...chunk);
        }
        client.end();
      }
      return text + await client.readText();
    },
    async finish() {
      await hussar.whenEmpty();
      await hussar.close();
      await hussar.scheduler.run();
      assert.equal(hussar.scheduler.threadCount, 0, "threads left");
      assert.equal(hussar.scheduler.timerCount, 0, "timers left");
    },
  };
}

const hello: HttpApp = () => ({
  status: 200,
  headers: { "content-type": "text/plain" },
  body: "hello",
});
const echo: HttpApp = function* (request) {
  const body = yield* request.body.readAll();
  return { status: 200, body };
};
const GET = (path = "/", extra = ""): string =>
  `GET ${path} HTTP/1.1\r\nHost: test\r\n${extra}\r\n`;

describe("httpHandler: responses", () => {
  it("answers a GET with status line, Date, Content-Length and body", async () => {
    const server = serve(hello);
    const [response, ...more] = parseResponses(await server.exchange(GET()));
    assert.equal(more.length, 0);
    assert.equal(response.version, "HTTP/1.1");
    assert.equal(response.status, 200);
    assert.equal(response.reason, "OK");
    assert.match(header(response, "date")!, /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    assert.equal(header(response, "content-length"), "5");
    assert.equal(response.body, "hello");
    await server.finish();
  });

  it("sends a HEAD response's headers without its body", async () => {
    const server = serve(hello);
    const text = await server.exchange("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n" + GET());
    const responses = parseResponses(text, (i) => i === 0);
    assert.equal(responses.length, 2);
    assert.equal(header(responses[0], "content-length"), "5");
    assert.equal(responses[0].body, "");
    assert.equal(responses[1].body, "hello");
    await server.finish();
  });

  it("sends no body and no framing headers for 204 and 304", async () => {
    const server = serve((request) => ({
      status: request.head.target === "/a" ? 204 : 304,
      body: null,
    }));
    const responses = parseResponses(await server.exchange(GET("/a") + GET("/b")));
    assert.deepEqual(responses.map((r) => r.status), [204, 304]);
    for (const r of responses) {
      assert.equal(header(r, "content-length"), undefined);
      assert.equal(header(r, "transfer-encoding"), undefined);
    }
    await server.finish();
  });

  it("streams a body of unknown length with chunked encoding", async () => {
    const server = serve(() => ({
      status: 200,
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          for (const part of ["ab", "cd"]) controller.enqueue(new TextEncoder().encode(part));
          controller.close();
        },
      }),
    }));
    const text = await server.exchange(GET());
    const [response] = parseResponses(text);
    assert.equal(header(response, "transfer-encoding"), "chunked");
    assert.equal(response.body, "abcd");
    assert.ok(text.endsWith("2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n"));
    await server.finish();
  });

  it("ends a stream body by closing the connection for an HTTP/1.0 client", async () => {
    const server = serve(() => ({
      status: 200,
      body: (async function* () {
        yield new TextEncoder().encode("old");
      })(),
    }));
    const text = await server.exchange("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const [response] = parseResponses(text);
    assert.equal(header(response, "transfer-encoding"), undefined);
    assert.equal(header(response, "connection"), "close");
    assert.equal(response.body, "old");
    await server.finish();
  });

  it("lets a thread app write its own response with respondOn", async () => {
    const server = serve(function* (request, conn) {
      const writer = respondOn(conn, { status: 201 }, {
        method: request.head.method,
        version: "1.1",
        keepAlive: true,
      }, 3);
      writer.write(new TextEncoder().encode("new"));
      yield* writer.end();
    });
    const [response] = parseResponses(await server.exchange(GET()));
    assert.equal(response.status, 201);
    assert.equal(response.body, "new");
    await server.finish();
  });

  it("refuses a header value with CR/LF: 500, and the bad header is never written", async () => {
    const server = serve(() => ({
      status: 200,
      headers: { "x-evil": "a\r\nSet-Cookie: pwned=1" },
      body: "x",
    }));
    const text = await server.exchange(GET());
    assert.ok(!text.includes("pwned"));
    const [response] = parseResponses(text);
    assert.equal(response.status, 500);
    assert.equal(server.errors.length, 1);
    await server.finish();
  });
});

describe("httpHandler: writes", () => {
  it("sends a chunk's closing CRLF with the next size line or the last chunk, and large chunks as they are", async () => {
    const chunks: Uint8Array[] = [20_000, 30_000, 40_000].map((size) =>
      new Uint8Array(size).fill(0x61)
    );
    const hussar = new Hussar({
      handler: httpHandler(() => ({
        status: 200,
        body: (async function* () {
          for (const chunk of chunks) yield chunk;
        })(),
      })),
    });
    const { transport, writes } = recordingTransport(
      new TextEncoder().encode("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
    );
    hussar.addConnection(transport);
    await hussar.whenEmpty();
    await hussar.close();
    const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
    const small = writes.filter((bytes) => !chunks.includes(bytes)).map(text);
    // Per chunk one small write and the chunk itself, then the end; the head waited for the
    // first chunk and left joined with its size line, not in a write of its own.
    assert.equal(writes.length, 2 * chunks.length + 1);
    assert.match(
      small[0],
      /^HTTP\/1\.1 200 OK\r\n[^]*transfer-encoding: chunked\r\n[^]*\r\n\r\n4e20\r\n$/,
    );
    assert.deepEqual(small.slice(1), ["\r\n7530\r\n", "\r\n9c40\r\n", "\r\n0\r\n\r\n"]);
    assert.deepEqual(writes.filter((bytes) => chunks.includes(bytes)), chunks, "not copied");
  });

  it("hands a gathering transport each chunk as two buffers, its framing and its data", async () => {
    const chunks = [30_000, 30_000, 30_000, 16].map((size) => new Uint8Array(size).fill(0x62));
    const hussar = new Hussar({
      handler: httpHandler(() => ({
        status: 200,
        body: (async function* () {
          for (const chunk of chunks) yield chunk;
        })(),
      })),
    });
    const { transport, calls, gathering } = recordingTransport(
      new TextEncoder().encode("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
    );
    gathering();
    hussar.addConnection(transport);
    await hussar.whenEmpty();
    await hussar.close();
    const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
    assert.match(text(calls[0][0]), /^HTTP\/1\.1 200 /);
    assert.equal(calls[0][2], chunks[0], "the head leaves in one write with the first chunk");
    const body = calls.flat().filter((bytes) => !/^HTTP\/1\.1 /.test(text(bytes)));
    // Per chunk a buffer of framing (the CRLF ending the chunk before, this one's size line),
    // then the chunk as it is; then the end, in one buffer too.
    assert.equal(body.length, 2 * chunks.length + 1);
    assert.deepEqual(body.filter((_, i) => i % 2 === 0).map(text), [
      "7530\r\n",
      "\r\n7530\r\n",
      "\r\n7530\r\n",
      "\r\n10\r\n",
      "\r\n0\r\n\r\n",
    ]);
    body.filter((_, i) => i % 2 === 1).forEach((bytes, i) => assert.equal(bytes, chunks[i]));
  });

  it("hands the transport the same bytes again for a small response sent again, and new ones for any change", async () => {
    // Pipelined, so that every response leaves in one gathered write (one task: one Date).
    const targets = ["/a", "/a", "/a", "/a", "/b", "/b", "/b", "/204", "/204", "/204", "/a", "/a"];
    const hussar = new Hussar({
      handler: httpHandler((request): HttpResponse => {
        const target = request.head.target;
        if (target === "/204") return { status: 204, headers: { "x-kind": "none" } };
        return { status: 200, headers: { "content-type": "text/plain" }, body: target.slice(1) };
      }),
    });
    const raw = targets.map((t, i) =>
      `GET ${t} HTTP/1.1\r\nHost: h\r\n${
        i === targets.length - 1 ? "Connection: close\r\n" : ""
      }\r\n`
    ).join("");
    const { transport, calls, gathering } = recordingTransport(new TextEncoder().encode(raw));
    gathering();
    hussar.addConnection(transport);
    await hussar.whenEmpty();
    await hussar.close();
    assert.equal(calls.length, 1, "one gathered write");
    const sent = calls[0];
    const text = sent.map((bytes) => new TextDecoder().decode(bytes));
    assert.equal(sent.length, targets.length);
    targets.forEach((target, i) => {
      const { status, body } = parseResponses(text[i])[0];
      assert.equal(status, target === "/204" ? 204 : 200, `response ${i}`);
      assert.equal(body, target === "/204" ? "" : target.slice(1), `response ${i}`);
    });
    assert.match(text[text.length - 1], /\r\nconnection: close\r\n/);
    // Kept once the head came twice running, then given again while head and body stay the same.
    const same = (i: number): boolean => sent[i] === sent[i - 1];
    assert.deepEqual(
      targets.map((_, i) => i > 0 && same(i)),
      [false, false, true, true, false, true, true, false, false, true, false, false],
    );
  });

  it("gives a transport of Web streams bytes of its own for every response, the same or not", async () => {
    const hussar = new Hussar({
      handler: httpHandler((): HttpResponse => ({
        status: 200,
        headers: { "content-type": "text/plain" },
        body: "same",
      })),
    });
    const input = new TransformStream<Uint8Array, Uint8Array>();
    const received: Uint8Array[] = [];
    const address = { transport: "memory", hostname: "", port: 0 } as const;
    hussar.addConnection({
      readable: input.readable,
      writable: new WritableStream({ write: (chunk) => void received.push(chunk) }),
      info: { remoteAddr: address, localAddr: address, tls: false },
    });
    const writer = input.writable.getWriter();
    const get = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    // One request at a time, each once the last is answered: a write of its own per response.
    for (let i = 0; i < 4; i++) {
      await writer.write(get);
      for (let wait = 0; wait < 1000 && received.length <= i; wait++) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
    await writer.close();
    await hussar.whenEmpty();
    await hussar.close();
    assert.equal(received.length, 4);
    for (const bytes of received) {
      assert.match(new TextDecoder().decode(bytes), /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nsame$/);
    }
    assert.equal(new Set(received).size, 4, "no buffer given twice");
  });

  it("sends a chunk above the high-water mark at once, with no wait when the transport takes it", async () => {
    const chunks: Uint8Array[] = [70_000, 70_000, 70_000].map((size) =>
      new Uint8Array(size).fill(0x63)
    );
    const hussar = new Hussar({
      handler: httpHandler(() => ({
        status: 200,
        body: (async function* () {
          for (const chunk of chunks) yield chunk;
        })(),
      })),
    });
    const resumes: string[] = [];
    hussar.scheduler.watch({
      onResume: (thread, signal) => {
        if (thread.name.startsWith("conn")) resumes.push(String(signal.kind));
      },
    });
    const { transport, writes } = recordingTransport(
      new TextEncoder().encode("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
    );
    hussar.addConnection(transport);
    await hussar.whenEmpty();
    await hussar.close();
    assert.deepEqual(writes.filter((bytes) => chunks.includes(bytes)), chunks);
    // Woken by the request's bytes only; then resumed as each of the producer's Promises settled,
    // never to learn that a chunk left.
    assert.equal(resumes.filter((kind) => kind === "wakeback").length, 1, String(resumes));
  });
});

describe("httpHandler: keep-alive and pipelining", () => {
  it("serves several requests on one connection", async () => {
    const server = serve((request) => ({ status: 200, body: request.head.target }));
    const client = server.source.connect();
    client.write(GET("/one"));
    await client.waitForBytes(1);
    client.write(GET("/two"));
    client.end();
    const responses = parseResponses(await client.readText());
    assert.deepEqual(responses.map((r) => r.body), ["/one", "/two"]);
    assert.equal(server.hussar.stats().accepted, 1);
    await server.finish();
  });

  it("sends every response whole, small or large, head or body, pipelined back to back", async () => {
    // Heads are written where their output buffers are cut from a shared slab: a large head
    // or body among small ones must neither be cut short nor overwrite its neighbours.
    const sizes = [0, 10, 900, 1000, 1100, 3000, 5000, 20, 4000, 9000, 1];
    const server = serve((request) => {
      const n = Number(request.head.target.slice(1));
      const big = request.head.headers.get("x-big") === "head";
      return {
        status: 200,
        headers: [["x-fill", (big ? "h" : "") + "v".repeat(big ? n : 3)]],
        body: big ? `${n}` : "b".repeat(n),
      };
    });
    const raw = sizes.map((n, i) =>
      `GET /${n} HTTP/1.1\r\nHost: a\r\nX-Big: ${i % 2 ? "head" : "body"}\r\n\r\n`
    ).join("");
    const responses = parseResponses(await server.exchange(raw));
    assert.equal(responses.length, sizes.length);
    sizes.forEach((n, i) => {
      const big = i % 2 === 1;
      assert.equal(header(responses[i], "x-fill"), (big ? "h" : "") + "v".repeat(big ? n : 3));
      assert.equal(responses[i].body, big ? `${n}` : "b".repeat(n));
    });
    await server.finish();
  });

  it("answers pipelined requests in request order, even when later ones finish first", async () => {
    const server = serve(function* (request) {
      const delay = Number(request.head.target.slice(1));
      yield* sleep(delay);
      return { status: 200, body: `slept ${delay}` };
    });
    const text = await server.exchange(GET("/30") + GET("/10") + GET("/20"));
    assert.deepEqual(parseResponses(text).map((r) => r.body), ["slept 30", "slept 10", "slept 20"]);
    await server.finish();
  });

  it("honours Connection: close from the client and says so in the response", async () => {
    const server = serve(hello);
    const client = server.source.connect();
    client.write(GET("/", "Connection: close\r\n") + GET("/ignored"));
    const responses = parseResponses(await client.readText());
    assert.equal(responses.length, 1);
    assert.equal(header(responses[0], "connection"), "close");
    await server.finish();
  });

  it("keeps an HTTP/1.0 connection alive only when asked", async () => {
    const server = serve(hello);
    const kept = parseResponses(
      await server.exchange([
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
      ]),
    );
    assert.equal(kept.length, 2);
    assert.equal(header(kept[0], "connection"), "keep-alive");
    assert.equal(header(kept[1], "connection"), "close");
    await server.finish();
  });

  it("drains a small unread body before the next request", async () => {
    const server = serve(hello);
    const text = await server.exchange(
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789" + GET("/after"),
    );
    assert.equal(parseResponses(text).length, 2);
    await server.finish();
  });

  it("closes instead of draining an unread body larger than maxDrainBytes", async () => {
    const server = serve(hello, { maxDrainBytes: 4 });
    const text = await server.exchange(
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789" + GET(),
    );
    assert.equal(parseResponses(text).length, 1);
    await server.finish();
  });

  it("closes an idle keep-alive connection after keepAliveTimeoutMs, without a response", async () => {
    const server = serve(hello, { keepAliveTimeoutMs: 2000 });
    const client = server.source.connect();
    client.write(GET());
    const text = await client.readText();
    assert.equal(parseResponses(text).length, 1);
    assert.ok(server.clock.now() >= 2000);
    await server.finish();
  });
});

describe("httpHandler: the last response of a connection", () => {
  /** Serves `raw`; the signals the connection's thread was resumed with, and what was written. */
  async function lastResponse(raw: string): Promise<{ resumes: string[]; text: string }> {
    const hussar = new Hussar({ handler: httpHandler(() => ({ status: 200, body: "ok" })) });
    const resumes: string[] = [];
    hussar.scheduler.watch({
      onResume: (thread, signal) => {
        if (thread.name.startsWith("conn")) resumes.push(String(signal.kind));
      },
    });
    const { transport, writes } = recordingTransport(new TextEncoder().encode(raw));
    hussar.addConnection(transport);
    await hussar.whenEmpty();
    await hussar.close();
    return { resumes, text: writes.map((bytes) => new TextDecoder().decode(bytes)).join("") };
  }

  it("goes to a transport that takes it at once with no wait for it: the thread is not woken again", async () => {
    const { resumes, text } = await lastResponse(
      "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    );
    assert.deepEqual(parseResponses(text).map((r) => [r.status, r.body]), [[200, "ok"], [
      200,
      "ok",
    ]]);
    // Started, then woken once: by the requests' bytes.
    assert.deepEqual(resumes, ["start", "wakeback"]);
  });

  it("ends the connection in the turn its last response is written, if the transport takes it at once", async () => {
    for (
      const raw of [
        "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
      ]
    ) {
      const hussar = new Hussar({ handler: httpHandler(hello) });
      const { transport, writes } = recordingTransport(new TextEncoder().encode(raw));
      const sink = directSinkOf(transport)!;
      const turns: Record<string, number> = {};
      const write = sink.write;
      sink.write = (chunk) => {
        turns.write = hussar.scheduler.turn;
        return write(chunk);
      };
      sink.end = () => void (turns.end = hussar.scheduler.turn);
      hussar.addConnection(transport);
      await hussar.whenEmpty();
      await hussar.close();
      assert.equal(
        parseResponses(writes.map((w) => new TextDecoder().decode(w)).join(""))[0].body,
        "hello",
      );
      assert.ok(turns.write > 0, raw);
      assert.equal(turns.end, turns.write, raw);
    }
  });
});

describe("httpHandler: how a closing connection lets go of its input", () => {
  /** Serves `raw` on a recording transport; how the input was let go, and the statuses answered. */
  async function closeAfter(raw: string): Promise<{ end: string | null; statuses: number[] }> {
    const hussar = new Hussar({
      handler: httpHandler(function* (request) {
        // `/read` reads the body; others leave it.
        if (request.head.target === "/read") yield* request.body.readAll();
        return { status: 200, body: "ok" };
      }),
    });
    const { transport, writes, inputEnd } = recordingTransport(new TextEncoder().encode(raw));
    hussar.addConnection(transport);
    await hussar.whenEmpty();
    await hussar.close();
    const text = writes.map((bytes) => new TextDecoder().decode(bytes)).join("");
    return { end: inputEnd(), statuses: parseResponses(text).map((r) => r.status) };
  }

  it("finishes it after a request that asked to close and was read whole: no lingering close", async () => {
    assert.deepEqual(
      await closeAfter("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
      { end: "finish", statuses: [200] },
    );
    assert.deepEqual(await closeAfter("GET / HTTP/1.0\r\n\r\n"), {
      end: "finish",
      statuses: [200],
    });
    assert.deepEqual(
      await closeAfter(
        "POST /read HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc",
      ),
      { end: "finish", statuses: [200] },
    );
  });

  it("cancels it when input may be left unread: bytes after the request, a body unread or not all sent, the server's own close", async () => {
    // Sent after the request that asked to close: the peer said more than it said it would.
    assert.deepEqual(
      await closeAfter(
        "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /more HTTP/1.1\r\n",
      ),
      { end: "cancel", statuses: [200] },
    );
    // A body the app left unread.
    assert.deepEqual(
      await closeAfter(
        "POST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc",
      ),
      { end: "cancel", statuses: [200] },
    );
    // The body's last 2 bytes never came: the peer may still be sending them.
    assert.deepEqual(
      await closeAfter(
        "POST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 5\r\n\r\nabc",
      ),
      { end: "cancel", statuses: [200] },
    );
    // A malformed request: the server closes, and the peer may have sent anything after it.
    assert.deepEqual(await closeAfter("GET / HTTP/1.1\r\nHost h\r\n\r\n"), {
      end: "cancel",
      statuses: [400],
    });
  });
});

describe("httpHandler: request bodies", () => {
  it("echoes a Content-Length body however it is fragmented", async () => {
    const server = serve(echo);
    const raw =
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world";
    for (const size of [1, 2, 7, raw.length]) {
      const client = server.source.connect();
      client.writeSplit(raw, size);
      const [response] = parseResponses(await client.readText());
      assert.equal(response.body, "hello world", `split by ${size}`);
    }
    await server.finish();
  });

  it("gives a request without a body a reader of no bytes, read or not, on pipelined requests", async () => {
    // The engine makes the reader of a body-less request only when the app asks for it.
    const server = serve(function* (request) {
      if (request.head.target === "/skip") return { status: 200, body: "skipped" };
      const body = request.body;
      assert.equal(body, request.body);
      const bytes = yield* body.readAll();
      return { status: 200, body: `${bytes.length} ${body.finished} ${body.bytesRead}` };
    });
    const text = await server.exchange(
      GET("/read") + GET("/skip") + GET("/read", "Expect: 100-continue\r\n") + GET("/skip"),
    );
    assert.deepEqual(parseResponses(text).map((r) => [r.status, r.body]), [
      [200, "0 true 0"],
      [200, "skipped"],
      [200, "0 true 0"],
      [200, "skipped"],
    ]);
    assert.ok(!text.includes("100 Continue"));
    await server.finish();
  });

  it("decodes a chunked body, then serves the next pipelined request", async () => {
    const server = serve(echo);
    const text = await server.exchange(
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nT: 1\r\n\r\n" +
        GET(),
    );
    assert.deepEqual(parseResponses(text).map((r) => r.body), ["hello world", ""]);
    await server.finish();
  });

  it("answers Expect: 100-continue only when the app reads the body", async () => {
    const server = serve(echo);
    const client = server.source.connect();
    client.write(
      "POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\nConnection: close\r\n\r\n",
    );
    await client.waitForBytes(1);
    assert.equal(client.takeText(), "HTTP/1.1 100 Continue\r\n\r\n");
    client.write("data");
    const [response] = parseResponses(await client.readText());
    assert.equal(response.body, "data");
    await server.finish();
  });

  it("sends no 100 Continue when the app answers without reading, and closes after", async () => {
    const server = serve(() => ({ status: 403, body: "no" }));
    const text = await server.exchange(
      "PUT / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
      { end: false },
    );
    const responses = parseResponses(text);
    assert.deepEqual(responses.map((r) => r.status), [403]);
    await server.finish();
  });

  it("rejects an unknown expectation with 417", async () => {
    const server = serve(hello);
    const [response] = parseResponses(await server.exchange(GET("/", "Expect: teleport\r\n")));
    assert.equal(response.status, 417);
    await server.finish();
  });

  it("refuses a declared body over maxBodyBytes with 413 before reading it", async () => {
    let appRan = false;
    const server = serve(function* (request) {
      appRan = true;
      return { status: 200, body: yield* request.body.readAll() };
    }, { maxBodyBytes: 8 });
    const text = await server.exchange("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 9\r\n\r\n", {
      end: false,
    });
    const [response] = parseResponses(text);
    assert.equal(response.status, 413);
    assert.equal(appRan, false);
    await server.finish();
  });

  it("stops a chunked body at maxBodyBytes with 413", async () => {
    const server = serve(echo, { maxBodyBytes: 8 });
    const text = await server.exchange(
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n",
    );
    assert.equal(parseResponses(text)[0].status, 413);
    await server.finish();
  });

  it("answers 408 when the body stops arriving", async () => {
    const server = serve(echo, { bodyTimeoutMs: 1000 });
    const text = await server.exchange(
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc",
      { end: false },
    );
    assert.equal(parseResponses(text)[0].status, 408);
    await server.finish();
  });

  it("serves the body as a pull-based ReadableStream to async apps", async () => {
    const server = serve(async (request) => {
      const text = await new Response(request.body.stream()).text();
      return { status: 200, body: text.toUpperCase() };
    });
    const [response] = parseResponses(
      await server.exchange("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"),
    );
    assert.equal(response.body, "ABC");
    await server.finish();
  });
});

describe("httpHandler: limits and malformed input", () => {
  const cases: [string, string, number][] = [
    ["header section over 16 KiB", GET("/", `X-Big: ${"a".repeat(17 * 1024)}\r\n`), 431],
    [
      "more than 100 header fields",
      GET("/", Array.from({ length: 101 }, (_, i) => `X-${i}: v\r\n`).join("")),
      431,
    ],
    ["request target over 8 KiB", GET(`/${"a".repeat(8 * 1024 + 1)}`), 414],
    ["bare LF line ends", "GET / HTTP/1.1\nHost: t\n\n", 400],
    ["obs-fold", GET("/", "X-A: a\r\n b\r\n"), 400],
    ["space before colon", GET("/", "X-A : a\r\n"), 400],
    ["missing Host on HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400],
    ["two Hosts", GET("/", "Host: other\r\n"), 400],
    ["unsupported version", "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505],
    ["unknown method", "BREW / HTTP/1.1\r\nHost: t\r\n\r\n", 501],
    ["a defined method that is not served (TRACE)", "TRACE / HTTP/1.1\r\nHost: t\r\n\r\n", 405],
  ];
  for (const [name, raw, status] of cases) {
    it(`answers ${status} and closes for ${name}`, async () => {
      const server = serve(hello);
      const text = await server.exchange(raw + GET("/smuggled"), { end: false });
      const responses = parseResponses(text);
      assert.deepEqual(responses.map((r) => r.status), [status]);
      assert.equal(header(responses[0], "connection"), "close");
      assert.ok(responses[0].body.length > 1, "a short reason is given");
      await server.finish();
    });
  }

  it("never interprets bytes after a framing error as a request (CL + TE)", async () => {
    const seen: string[] = [];
    const server = serve((request) => {
      seen.push(request.head.target);
      return { status: 200 };
    });
    const text = await server.exchange(
      "POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
        GET("/b"),
      { end: false },
    );
    assert.deepEqual(parseResponses(text).map((r) => r.status), [400]);
    assert.deepEqual(seen, []);
    await server.finish();
  });
});

describe("httpHandler: deadlines", () => {
  it("answers 408 to a slowloris client at the headers deadline", async () => {
    const server = serve(hello, { headersTimeoutMs: 3000 });
    const client: FakeClient = server.source.connect();
    client.write("GET / HTTP/1.1\r\n");
    const text = await client.readText();
    assert.equal(parseResponses(text)[0].status, 408);
    assert.equal(server.clock.now(), 3000);
    await server.finish();
  });

  /** A server on a clock that moves only when told, and a client whose connection's thread has parked. */
  async function parkedClient() {
    const clock = new VirtualClock({ autoAdvance: false });
    const hussar = new Hussar({
      scheduler: new Scheduler({ clock }),
      handler: httpHandler(hello, { headersTimeoutMs: 3000 }),
    });
    const source = new FakeSource();
    hussar.attachSource(source);
    const client = source.connect();
    // Its thread ran to its first wait (the phase is set in the same step).
    const waiting = () => [...hussar.descriptors()].some((d) => d.connection.phase === "waiting");
    await until(waiting, 5000, "the connection's thread waiting");
    return { clock, hussar, client };
  }

  it("times a new connection's head from its start, not from its first byte", async () => {
    const { clock, hussar, client } = await parkedClient();
    clock.advance(2000);
    client.write("GET / HTTP/1.1\r\n");
    const reading = () => [...hussar.descriptors()].some((d) => d.connection.phase === "headers");
    await until(reading, 5000, "the partial head read");
    clock.advance(1000);
    assert.equal(parseResponses(await client.readText())[0].status, 408);
    await hussar.close();
  });

  it("waits for a new connection's first bytes without a generator (Connection.read)", async () => {
    const read = Connection.prototype.read;
    let reads = 0;
    Connection.prototype.read = function () {
      reads++;
      return read.call(this);
    };
    try {
      const { hussar, client } = await parkedClient();
      client.write(GET("/", "Connection: close\r\n"));
      assert.equal(parseResponses(await client.readText())[0].status, 200);
      assert.equal(reads, 0);
      await hussar.close();
    } finally {
      Connection.prototype.read = read;
    }
  });

  it("closes a connection that never sends a byte, without a response", async () => {
    const server = serve(hello, { headersTimeoutMs: 3000 });
    const text = await server.source.connect().readText();
    assert.equal(text, "");
    await server.finish();
  });
});

describe("httpHandler: failing apps", () => {
  it("answers 500 without details when the app throws, and keeps serving", async () => {
    let calls = 0;
    const server = serve(() => {
      if (++calls === 1) throw new Error("secret detail");
      return { status: 200, body: "ok" };
    });
    const failed = parseResponses(await server.exchange(GET()));
    assert.equal(failed[0].status, 500);
    assert.ok(!failed[0].body.includes("secret"));
    assert.equal((server.errors[0] as Error).message, "secret detail");
    assert.equal(parseResponses(await server.exchange(GET()))[0].body, "ok");
    await server.finish();
  });

  it("puts details in the 500 only in debug mode", async () => {
    const server = serve(() => Promise.reject(new Error("visible detail")), { debug: true });
    const [response] = parseResponses(await server.exchange(GET()));
    assert.equal(response.status, 500);
    assert.match(response.body, /visible detail/);
    await server.finish();
  });

  it("aborts the connection when the app fails after part of the response was sent", async () => {
    const server = serve(() => ({
      status: 200,
      body: new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.enqueue(new TextEncoder().encode("partial"));
          controller.error(new Error("stream broke"));
        },
      }),
    }));
    const text = await server.exchange(GET());
    assert.ok(text.startsWith("HTTP/1.1 200 OK"));
    assert.ok(
      !text.includes("0\r\n\r\n"),
      "no terminating chunk: the client sees a truncated body",
    );
    await server.finish();
  });

  it("aborts, with no 500, when a stream fails before its first chunk (its head counts as sent)", async () => {
    const server = serve(() => ({
      status: 200,
      body: new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.error(new Error("stream broke"));
        },
      }),
    }));
    const text = await server.exchange(GET());
    assert.ok(!text.includes(" 500 "), "no error status after the head was due");
    assert.equal(server.errors.length, 0);
    await server.finish();
  });

  it("sends the head alone at once when the first chunk waits", async () => {
    let release = (): void => {};
    const server = serve(() => ({
      status: 200,
      body: (async function* () {
        await new Promise<void>((resolve) => (release = resolve));
        yield new TextEncoder().encode("late");
      })(),
    }));
    const client = server.source.connect();
    client.write(GET());
    let text = "";
    while (!text.includes("\r\n\r\n")) text += String.fromCharCode(...(await client.read())!);
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n$/, "the head, before any chunk");
    release();
    while (!text.endsWith("0\r\n\r\n")) text += String.fromCharCode(...(await client.read())!);
    assert.ok(text.endsWith("\r\n\r\n4\r\nlate\r\n0\r\n\r\n"));
    client.end();
    await client.readText();
    await server.finish();
  });

  it("answers 500 when the app returns no response", async () => {
    const server = serve(() => undefined);
    assert.equal(parseResponses(await server.exchange(GET()))[0].status, 500);
    await server.finish();
  });
});
