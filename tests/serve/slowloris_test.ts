/**
 * Slow and stalled clients on a real socket. 1,000 slowloris connections
 * that send one byte of their head per second neither starve a normal
 * client nor outlive the headers deadline; a client that stops reading its
 * response is cut off at the write deadline, and the response stream it
 * stalled is not read further than backpressure allows.
 */
import { after, before, describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { connect as netConnect, type Socket } from "node:net";
import { parseResponses } from "../_http.ts";
import { until } from "../_until.ts";
import { type Client, connect, sleep, within } from "../sources/_socket_client.ts";
import { type HttpServer, serve } from "../../serve/mod.ts";

const SLOW_CLIENTS = 1000;
const HEADERS_TIMEOUT_MS = 3000;
const SLOW_HEAD = "GET /slow HTTP/1.1\r\nHost: h\r\nX-Drip: " + "a".repeat(100);

interface Slow {
  socket: Socket;
  sent: number;
  firstByteAt: number;
  closedAt: number | null;
  received: string;
}

/**
 * Sends `request` from a client that never reads (the kernel buffers fill,
 * then the server's writes stall) and waits until the server has cut it off.
 */
async function stalledUntilCutOff(server: HttpServer, request: string): Promise<Client> {
  const client = await connect({ host: "127.0.0.1", port: server.addr.port });
  client.socket.pause();
  await client.write(request);
  await until(() => server.hussar.connectionCount === 1, 5000, "the connection accepted");
  await until(() => server.hussar.connectionCount === 0, 15_000, "the stalled connection cut off");
  return client;
}

function openSlow(port: number): Promise<Slow> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ port, host: "127.0.0.1", allowHalfOpen: true });
    const slow: Slow = { socket, sent: 0, firstByteAt: 0, closedAt: null, received: "" };
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      socket.on("error", () => {});
      socket.on("data", (chunk: Uint8Array) => (slow.received += new TextDecoder().decode(chunk)));
      // The server's FIN is where its deadline shows; a reset counts as well.
      socket.once("end", () => (slow.closedAt ??= Date.now()));
      socket.once("close", () => (slow.closedAt ??= Date.now()));
      socket.write(SLOW_HEAD[0]);
      slow.sent = 1;
      slow.firstByteAt = Date.now();
      resolve(slow);
    });
  });
}

/** Times `n` sequential requests on one keep-alive connection. */
async function latencies(port: number, n: number): Promise<number[]> {
  const client = await connect({ host: "127.0.0.1", port });
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const before = client.received;
      const start = performance.now();
      await client.write("GET /fast HTTP/1.1\r\nHost: h\r\n\r\n");
      // "fast" is the whole body of each response, and its last bytes.
      while (!client.text().endsWith("fast") || client.received === before) {
        await client.waitForBytes(client.received + 1, 5000);
      }
      times.push(performance.now() - start);
    }
  } finally {
    client.destroy();
  }
  return times;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1];

describe("slowloris: 1,000 clients dripping their heads", () => {
  let server: HttpServer;

  before(async () => {
    server = serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
    }, () => new Response("fast"));
    await server.ready;
  });

  after(async () => {
    await server.close();
  });

  it("serves a normal client meanwhile and closes each slow one at the headers deadline", {
    timeout: 60_000,
  }, async () => {
    const port = server.addr.port;
    const quiet = await latencies(port, 30);
    const slow: Slow[] = [];
    for (let i = 0; i < SLOW_CLIENTS; i += 100) {
      slow.push(...await Promise.all(Array.from({ length: 100 }, () => openSlow(port))));
    }
    const drip = setInterval(() => {
      for (const s of slow) {
        if (s.closedAt === null && s.sent < SLOW_HEAD.length) s.socket.write(SLOW_HEAD[s.sent++]);
      }
    }, 1000);
    try {
      // Counted since the start: under load, the first ones may reach their deadline meanwhile.
      await until(
        () => server.hussar.stats().accepted >= SLOW_CLIENTS + 1,
        20_000,
        "every slow client accepted",
      );
      const busy = await latencies(port, 30);
      // Liveness, not speed: each answer comes before the slow clients' deadline (a starved
      // server answers only once they are evicted); a loaded machine may take a good part of it.
      assert.ok(
        Math.max(...busy) < HEADERS_TIMEOUT_MS,
        `normal requests took up to ${Math.max(...busy).toFixed(1)} ms with the slow clients ` +
          `(median ${median(busy).toFixed(2)} ms; ${median(quiet).toFixed(2)} ms without)`,
      );
      await until(
        () => slow.every((s) => s.closedAt !== null),
        HEADERS_TIMEOUT_MS + 20_000,
        "every slow client closed",
      );
    } finally {
      clearInterval(drip);
      for (const s of slow) s.socket.destroy();
    }
    for (const s of slow) {
      const lived = s.closedAt! - s.firstByteAt;
      // The deadline runs from the first byte of the head, on the server's clock.
      assert.ok(lived >= HEADERS_TIMEOUT_MS - 250, `closed after ${lived} ms, before the deadline`);
      // Under load a head may wait in the accept queue: its deadline starts when the server reads it.
      assert.ok(lived <= HEADERS_TIMEOUT_MS + 8000, `closed only after ${lived} ms`);
      assert.match(s.received, /^HTTP\/1\.1 408 /);
    }
    await until(() => server.hussar.connectionCount === 0, 5000, "no connection left");
  });
});

describe("a client that stops reading", () => {
  it("is cut off at the write deadline; the stalled stream is not read ahead", {
    timeout: 30_000,
  }, async () => {
    let produced = 0;
    let cancelled = false;
    const piece = new Uint8Array(64 * 1024).fill(0x61);
    const server = serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
      writeTimeoutMs: 500,
    }, () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            produced += piece.length;
            controller.enqueue(piece);
          },
          cancel() {
            cancelled = true;
          },
        }),
      ));
    await server.ready;
    try {
      const client = await stalledUntilCutOff(server, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
      assert.ok(cancelled, "the response stream was cancelled");
      // Socket buffers on both sides plus the high-water mark: megabytes, not an unbounded heap.
      assert.ok(
        produced < 64 * 1024 * 1024,
        `produced ${produced} bytes for a client that read none`,
      );
      client.destroy();
    } finally {
      await server.close();
    }
  });

  it("is cut off at the write deadline after a whole response to a request that asked to close", {
    timeout: 30_000,
  }, async () => {
    // Larger than the socket buffers of both sides: the write cannot finish while nobody reads.
    const body = new Uint8Array(32 * 1024 * 1024).fill(0x61);
    const server = serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
      writeTimeoutMs: 500,
    }, () => new Response(body));
    await server.ready;
    try {
      const client = await stalledUntilCutOff(
        server,
        "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
      );
      client.destroy();
    } finally {
      await server.close();
    }
  });

  it("keeps a slow but steady reader of a long stream", { timeout: 30_000 }, async () => {
    const server = serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
      writeTimeoutMs: 300,
    }, () => {
      let n = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            // Idle gaps longer than the write timeout: waiting for the producer is not timed.
            await sleep(400);
            controller.enqueue(new TextEncoder().encode(`event ${n}\n`));
            if (++n === 3) controller.close();
          },
        }),
      );
    });
    await server.ready;
    try {
      const client = await connect({ host: "127.0.0.1", port: server.addr.port });
      await client.write("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
      await within(client.ended, 10_000, "the whole stream");
      assert.equal(parseResponses(client.text())[0].body, "event 0\nevent 1\nevent 2\n");
      client.destroy();
    } finally {
      await server.close();
    }
  });
});
