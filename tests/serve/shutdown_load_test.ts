/**
 * Graceful shutdown under load, on a real socket: 24 keep-alive clients keep
 * sending while `shutdown()` is called. Every request the app received is
 * answered in full (the ones in flight with `Connection: close`), new
 * connections are refused at once, and the server ends with nothing left.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect as netConnect, type Socket } from "node:net";
import { parseResponses } from "../_http.ts";
import { until } from "../_until.ts";
import { refused, sleep, within } from "../sources/_socket_client.ts";
import { serve } from "../../serve/mod.ts";

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
    await until(() => received.size >= 300, 20_000, "the load under way", 5);
    assert.ok(inFlight > 0, "requests are in flight when the shutdown starts");
    const stopping = server.shutdown();
    await sleep(20);
    assert.ok(await refused({ host: "127.0.0.1", port }), "a new connection is refused");
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
