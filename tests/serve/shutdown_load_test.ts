/**
 * Graceful shutdown under load, on a real socket: 24 keep-alive clients keep
 * sending while `shutdown()` is called. Every request the app received is
 * answered in full (the ones in flight with `Connection: close`), new
 * connections are refused at once, and the server ends with nothing left.
 * Then the race behind it, made to happen on the fake source: a request that
 * arrives as its idle connection is closed.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { connect as netConnect, type Socket } from "node:net";
import { parseResponses } from "../_http.ts";
import { until } from "../_until.ts";
import { refused, sleep, within } from "../sources/_socket_client.ts";
import { Hussar } from "../../core/mod.ts";
import { httpHandler } from "../../httputil/mod.ts";
import { serve } from "../../serve/mod.ts";
import { FakeSource } from "../../sources/mod.ts";

const CLIENTS = 24;

interface LoadClient {
  sent: number;
  responses: string;
  closed: Promise<void>;
}

/** Sends one request at a time until the server closes the connection. */
function loadClient(port: number, id: number): LoadClient {
  const socket: Socket = netConnect({ port, host: "127.0.0.1" });
  const client: LoadClient = { sent: 0, responses: "", closed: Promise.resolve() };
  const sendNext = (): void => {
    socket.write(`GET /${id}/${client.sent++} HTTP/1.1\r\nHost: h\r\n\r\n`);
  };
  client.closed = new Promise((resolve) => {
    socket.on("close", () => resolve());
    socket.on("error", () => {});
  });
  socket.setEncoding("latin1");
  socket.on("connect", sendNext);
  socket.on("data", (text: string) => {
    client.responses += text;
    // Each body ends with "#": one complete response per request sent.
    if (client.responses.split("#").length - 1 === client.sent && !/close/.test(text)) sendNext();
  });
  return client;
}

describe("graceful shutdown under load", () => {
  it("answers every request the app received, refuses new connections, leaves nothing", {
    timeout: 60_000,
  }, async () => {
    const received = new Set<string>();
    let inFlight = 0;
    const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
      const path = new URL(request.url).pathname;
      received.add(path);
      inFlight++;
      await sleep(5 + (received.size % 20));
      inFlight--;
      return new Response(`done ${path}#`);
    });
    await server.ready;
    const { port } = server.addr;
    const clients = Array.from({ length: CLIENTS }, (_, id) => loadClient(port, id));
    // Checked together: on a busy machine, every request may have just been answered at one check.
    const underWay = (): boolean => received.size >= 300 && inFlight > 0;
    await until(underWay, 20_000, "the load under way, requests in flight", 5);
    const stopping = server.shutdown();
    const target = { host: "127.0.0.1", port };
    await until(() => refused(target), 10_000, "a new connection to be refused");
    await within(stopping, 10_000, "the shutdown to finish");
    await within(Promise.all(clients.map((c) => c.closed)), 5000, "every client closed");
    await server.finished;

    let answered = 0;
    for (const [id, client] of clients.entries()) {
      const responses = parseResponses(client.responses);
      assert.ok(responses.every((r) => r.status === 200));
      for (const response of responses) {
        const path = /^done (\/\d+\/\d+)#$/.exec(response.body)?.[1];
        assert.ok(path !== undefined && received.has(path), `answer ${response.body}`);
      }
      // A request the app took is never left unanswered: at most one went unseen, on a closing idle connection.
      const unanswered = client.sent - responses.length;
      assert.ok(unanswered <= 1, `client ${id}: ${unanswered} requests unanswered`);
      if (unanswered === 1) assert.ok(!received.has(`/${id}/${client.sent - 1}`));
      else assert.equal(responses.at(-1)!.headers.find(([n]) => n === "connection")?.[1], "close");
      answered += responses.length;
    }
    assert.equal(answered, received.size, "every request the app received was answered");
    assert.equal(server.hussar.connectionCount, 0);
    assert.equal(server.hussar.scheduler.threadCount, 0);
    assert.equal(server.hussar.scheduler.timerCount, 0);
  });
});

describe("graceful shutdown, the race", () => {
  it("does not hand the app a request that arrived as its idle connection was closed", async () => {
    const received: string[] = [];
    const shutdown = new AbortController();
    const hussar = new Hussar({
      handler: httpHandler((request) => {
        received.push(request.head.target);
        return { status: 200, body: "ok" };
      }, { shutdown: shutdown.signal }),
    });
    const source = new FakeSource();
    hussar.attachSource(source);
    const client = source.connect();
    const GET = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: h\r\n\r\n`;
    client.write(GET("/1"));
    const idle = (): boolean => [...hussar.descriptors()][0]?.connection.phase === "idle";
    await until(idle, 10_000, "the first exchange to be over");
    const [{ connection }] = hussar.descriptors();
    client.write(GET("/2"));
    // The bytes reach the connection within microtasks; its thread takes them on a later turn...
    for (let hop = 0; hop < 20 && connection.bufferedInput === 0; hop++) await null;
    assert.ok(connection.bufferedInput > 0, "the second request is in, not yet read");
    // ... and serve()'s shutdown closes the connections that wait for a request before that.
    shutdown.abort();
    assert.equal(connection.phase, "idle");
    connection.close("server shutting down");
    const responses = parseResponses(await client.readText());
    await hussar.whenEmpty();
    await hussar.close();
    assert.deepEqual(received, ["/1"], "the app took only what it could answer");
    assert.deepEqual(responses.map((r) => r.body), ["ok"]);
  });
});
