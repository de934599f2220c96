/**
 * Faults on a real socket (serve() on 127.0.0.1): handlers that throw,
 * reject, never resolve or return a broken stream; clients that leave
 * during the head, the body upload or a streamed response; a TLS handshake
 * that fails. Each affected connection ends with the right status or close,
 * `request.signal` aborts where it should, and afterwards the server holds
 * no connection, timer, Promise wait or thread beyond its managing thread.
 */
import { afterEach, describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { connect as tlsConnect } from "node:tls";
import { header, parseResponses } from "../_http.ts";
import { selfSignedCertificate } from "../_tls.ts";
import { until } from "../_until.ts";
import { type Client, connect, connectTls, sleep, within } from "../sources/_socket_client.ts";
import { type HttpServer, serve, type ServeOptions } from "../../serve/mod.ts";
import type { FetchHandler } from "../../serve/types.ts";

const GET = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
const started: HttpServer[] = [];

async function start(handler: FetchHandler, options: ServeOptions = {}): Promise<HttpServer> {
  const server = serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
    onError: () => new Response("handler failed", { status: 500 }),
    ...options,
  }, handler);
  started.push(server);
  await server.ready;
  return server;
}

/** Settles once the server ended the connection, by a FIN or a reset. */
function serverGone(client: Client): Promise<unknown> {
  return Promise.race([client.ended, client.closed]);
}

/**
 * The server is back to rest: no connection, no timer, no Promise wait, and
 * no thread but the core's managing thread.
 */
async function assertNothingLeft(server: HttpServer): Promise<void> {
  const { hussar } = server;
  const { scheduler } = hussar;
  // A thread stuck in a handler is ended by the core after its grace period (1 s).
  await until(
    () => hussar.connectionCount === 0 && scheduler.threadCount <= 1,
    5000,
    `connections and threads to end (${hussar.connectionCount} connections, ${scheduler.threadCount} threads)`,
  );
  assert.deepEqual([...hussar.descriptors()], [], "descriptors left");
  assert.equal(scheduler.threadCount, 1, "threads left besides the managing thread");
  assert.equal(scheduler.timerCount, 0, "timers left");
  assert.equal(scheduler.pendingWaitCount, 0, "Promise waits left");
}

afterEach(async () => {
  for (const server of started.splice(0)) {
    await server.close();
    assert.equal(server.hussar.scheduler.threadCount, 0, "threads left after close");
    assert.equal(server.hussar.scheduler.timerCount, 0, "timers left after close");
  }
});

describe("handler faults", () => {
  it("a handler that throws gets a 500 and the connection goes on", async () => {
    const server = await start((request) => {
      if (new URL(request.url).pathname === "/throw") throw new Error("boom");
      return new Response("fine");
    });
    const client = await connect({ host: "127.0.0.1", port: server.addr.port });
    await client.write(
      "GET /throw HTTP/1.1\r\nHost: h\r\n\r\nGET /ok HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    );
    await within(client.ended, 5000, "both responses");
    assert.deepEqual(parseResponses(client.text()).map((r) => [r.status, r.body]), [
      [500, "handler failed"],
      [200, "fine"],
    ]);
    client.destroy();
    await assertNothingLeft(server);
  });

  it("a handler that rejects gets a 500", async () => {
    const server = await start(() => Promise.reject(new Error("nope")));
    const client = await connect({ host: "127.0.0.1", port: server.addr.port });
    await client.write(GET.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"));
    await within(client.ended, 5000, "the response");
    assert.equal(parseResponses(client.text())[0].status, 500);
    client.destroy();
    await assertNothingLeft(server);
  });

  it("a handler that never resolves gets a 503 at requestTimeoutMs, and its signal aborts", {
    timeout: 20_000,
  }, async () => {
    let aborted: Promise<unknown> | undefined;
    const server = await start((request) => {
      aborted = new Promise((resolve) =>
        request.signal.addEventListener("abort", () => resolve(request.signal.reason))
      );
      return new Promise<Response>(() => {}); // never settles, even once aborted
    }, { requestTimeoutMs: 200 });
    const client = await connect({ host: "127.0.0.1", port: server.addr.port });
    const sent = Date.now();
    await client.write(GET);
    await within(client.ended, 5000, "the timeout response");
    const elapsed = Date.now() - sent;
    const [response] = parseResponses(client.text());
    assert.equal(response.status, 503);
    assert.equal(header(response, "connection"), "close");
    assert.match(response.body, /timed out/);
    assert.ok(elapsed >= 150, `answered after ${elapsed} ms, before the timeout`);
    const reason = await within(aborted!, 5000, "request.signal aborting");
    assert.equal((reason as Error).name, "AbortError");
    client.destroy();
    await assertNothingLeft(server);
  });

  it("request.signal, its clone's and a copy made with new Request(url, request) all abort", async () => {
    const reasons: Promise<unknown>[] = [];
    const server = await start((request) => {
      const copy = new Request("http://upstream.invalid/", request);
      for (const signal of [request.signal, request.clone().signal, copy.signal]) {
        reasons.push(
          new Promise((resolve) => signal.addEventListener("abort", () => resolve(signal.reason))),
        );
      }
      return new Promise<Response>(() => {}); // answers only by the request timeout
    }, { requestTimeoutMs: 100 });
    const client = await connect({ host: "127.0.0.1", port: server.addr.port });
    await client.write(GET);
    await within(client.ended, 5000, "the timeout response");
    for (const reason of await within(Promise.all(reasons), 5000, "every signal aborting")) {
      assert.equal((reason as Error).name, "AbortError");
    }
    client.destroy();
    await assertNothingLeft(server);
  });

  it("a request.signal first read after the client left is already aborted", async () => {
    let kept: Request | undefined;
    const server = await start((request) => {
      kept = request; // the signal is not looked at while the exchange runs
      return new Promise<Response>(() => {});
    }, { requestTimeoutMs: 100 });
    const client = await connect({ host: "127.0.0.1", port: server.addr.port });
    await client.write(GET);
    await within(client.ended, 5000, "the timeout response");
    await until(() => server.hussar.connectionCount === 0, 5000, "the connection gone");
    assert.equal(kept!.signal.aborted, true);
    assert.equal((kept!.signal.reason as Error).name, "AbortError");
    client.destroy();
    await assertNothingLeft(server);
  });

  it("a handler that honours its signal ends at once after the request timeout", async () => {
    let ended = false;
    const server = await start((request) =>
      new Promise<Response>((_, reject) => {
        request.signal.addEventListener("abort", () => {
          ended = true;
          reject(request.signal.reason);
        });
      }), { requestTimeoutMs: 100 });
    const client = await connect({ host: "127.0.0.1", port: server.addr.port });
    await client.write(GET);
    await within(client.ended, 5000, "the timeout response");
    assert.equal(parseResponses(client.text())[0].status, 503);
    client.destroy();
    await assertNothingLeft(server);
    assert.ok(ended);
  });

  it("a response stream that errors midway cuts the body short and closes", async () => {
    let producer: ReadableStreamDefaultController<Uint8Array> | undefined;
    const server = await start(() =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            producer = controller;
            controller.enqueue(new TextEncoder().encode("partial"));
          },
        }),
      )
    );
    const client = await connect({ host: "127.0.0.1", port: server.addr.port });
    await client.write(GET);
    // It breaks once its first part reached the client: a timer could fire before the server
    // took the stream on a loaded machine, and a stream that fails before its head is a 500.
    await until(() => client.text().includes("partial"), 5000, "the first part");
    producer!.error(new Error("producer broke"));
    await within(serverGone(client), 5000, "the server dropping the connection");
    const text = client.text();
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /transfer-encoding: chunked/);
    assert.match(text, /partial/);
    assert.ok(!text.endsWith("0\r\n\r\n"), "no last chunk: the client sees a truncated body");
    await assertNothingLeft(server);
  });

  it("a response stream that errors at once gets a 500 or a truncated body, never a hang", async () => {
    const server = await start(() =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            controller.error(new Error("broken from the start"));
          },
        }),
      ), { logger: false });
    const client = await connect({ host: "127.0.0.1", port: server.addr.port });
    await client.write(GET);
    await within(serverGone(client), 5000, "the server ending the exchange");
    const text = client.text();
    assert.ok(
      text === "" || /^HTTP\/1\.1 500 /.test(text) ||
        (/^HTTP\/1\.1 200 /.test(text) && !text.endsWith("0\r\n\r\n")),
      `unexpected answer: ${JSON.stringify(text)}`,
    );
    await assertNothingLeft(server);
  });
});

describe("clients that leave", () => {
  it("during the request head", async () => {
    let called = false;
    const server = await start(() => {
      called = true;
      return new Response("no");
    });
    const client = await connect({ host: "127.0.0.1", port: server.addr.port });
    await client.write("GET / HTTP/1.1\r\nHost: h\r\nX-Half: ");
    await until(() => server.hussar.stats().phases.headers === 1, 5000, "the head under way");
    client.socket.resetAndDestroy();
    await assertNothingLeft(server);
    assert.equal(called, false);
  });

  it("during the body upload: the handler's read fails and its signal aborts", async () => {
    let readError: unknown;
    let aborted = false;
    const server = await start(async (request) => {
      request.signal.addEventListener("abort", () => (aborted = true));
      try {
        await request.arrayBuffer();
      } catch (error) {
        readError = error;
      }
      return new Response("late");
    });
    const client = await connect({ host: "127.0.0.1", port: server.addr.port });
    await client.write(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(1000),
    );
    await until(() => server.hussar.stats().phases.handling === 1, 5000, "the handler reading");
    await sleep(20);
    client.socket.resetAndDestroy();
    await assertNothingLeft(server);
    assert.ok(readError !== undefined, "the body read failed");
    assert.ok(aborted, "request.signal aborted");
  });

  it("during a streamed response: the stream is cancelled and the signal aborts", async () => {
    let cancelled = false;
    let aborted = false;
    let completed: Promise<void> | undefined;
    const server = await start((request, info) => {
      request.signal.addEventListener("abort", () => (aborted = true));
      completed = info.completed;
      let n = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            await sleep(5);
            controller.enqueue(new TextEncoder().encode(`tick ${n++}\n`));
          },
          cancel() {
            cancelled = true;
          },
        }),
      );
    });
    const client = await connect({ host: "127.0.0.1", port: server.addr.port });
    await client.write(GET);
    await client.waitForBytes(300);
    client.socket.resetAndDestroy();
    await assertNothingLeft(server);
    await assert.rejects(within(completed!, 5000, "info.completed"));
    assert.ok(cancelled, "the response stream was cancelled");
    assert.ok(aborted, "request.signal aborted");
  });
});

describe("TLS faults", () => {
  it("a failed handshake costs nothing, and the next client is served", async () => {
    const server = await start(() => new Response("secure"), { tls: selfSignedCertificate() });
    // Plain HTTP to a TLS port.
    const plain = await connect({ host: "127.0.0.1", port: server.addr.port });
    await plain.write(GET);
    await within(serverGone(plain), 5000, "the server dropping a non-TLS client");
    // A client that refuses the self-signed certificate aborts the handshake.
    const refused = tlsConnect({
      host: "127.0.0.1",
      port: server.addr.port,
      servername: "localhost",
    });
    await within(
      new Promise<void>((resolve) => refused.once("error", () => resolve())),
      5000,
      "the client refusing the certificate",
    );
    refused.destroy();
    // A client that leaves mid-handshake.
    const half = await connect({ host: "127.0.0.1", port: server.addr.port });
    await half.write(new Uint8Array([0x16, 0x03, 0x01, 0x00, 0x50, 0x01]));
    half.socket.resetAndDestroy();
    const good = await connectTls(server.addr.port);
    await good.write(GET.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"));
    await within(good.ended, 5000, "the TLS response");
    assert.equal(parseResponses(good.text())[0].body, "secure");
    good.destroy();
    await assertNothingLeft(server);
  });
});
