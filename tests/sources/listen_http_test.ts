import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { Hussar } from "../../core/mod.ts";
import { httpHandler } from "../../httputil/mod.ts";
import { listen, type Listener } from "../../sources/mod.ts";
import { header, parseResponses } from "../_http.ts";
import { connect, refused, sleep, within } from "./_socket_client.ts";

/** Open file descriptors of this process (Linux), or null where /proc is missing. */
function openFds(): number | null {
  return existsSync("/proc/self/fd") ? readdirSync("/proc/self/fd").length : null;
}

/** Waits (bounded) until the fd count is back to `baseline` or below; returns the last count. */
async function fdsSettle(baseline: number | null): Promise<number | null> {
  let now = openFds();
  for (let i = 0; i < 100 && now !== null && baseline !== null && now > baseline; i++) {
    await sleep(20);
    now = openFds();
  }
  return now;
}

/**
 * The kernel's socket table line (Linux) of the server's end of a loopback
 * TCP connection, split in fields; null if it is not there or without the
 * table.
 */
function serverSocket(server: number, client: number): string[] | null {
  const hex = (port: number): string => port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"].filter(existsSync)) {
    for (const line of readFileSync(table, "latin1").split("\n").slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:when retrnsmt uid timeout inode ...
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(`:${hex(server)}`) && fields[2]?.endsWith(`:${hex(client)}`)) {
        return fields;
      }
    }
  }
  return null;
}

/**
 * Whether the server's end of a loopback TCP connection is still held by a
 * process (Linux): a socket closed by its owner has no inode, or is gone.
 * Null without the table.
 */
function serverSocketHeld(server: number, client: number): boolean | null {
  if (!existsSync("/proc/net/tcp")) return null;
  const fields = serverSocket(server, client);
  return fields !== null && fields[9] !== "0";
}

/** The bytes the kernel holds to send on the server's end of a loopback TCP connection (Linux). */
function serverSendQueue(server: number, client: number): number {
  const fields = serverSocket(server, client);
  return fields === null ? 0 : parseInt(fields[4].split(":")[0], 16);
}

async function serveHttp(): Promise<{ hussar: Hussar; listener: Listener }> {
  const hussar = new Hussar({
    handler: httpHandler(function* (request) {
      const body = yield* request.body.readAll();
      return {
        status: 200,
        headers: [["content-type", "text/plain"]],
        body: `${request.head.method} ${request.head.target} ${body.length}`,
      };
    }),
  });
  const listener = await listen({ hostname: "127.0.0.1", port: 0 });
  hussar.attachSource(listener);
  return { hussar, listener };
}

describe("Hussar over listen()", () => {
  it("answers raw HTTP requests on a real socket, keep-alive then close", async () => {
    const before = openFds();
    const { hussar, listener } = await serveHttp();
    const target = { port: listener.addr.port, host: "127.0.0.1" };
    try {
      const client = await connect(target);
      const upload = "x".repeat(100_000);
      await client.write(
        "GET /first HTTP/1.1\r\nHost: t\r\n\r\n" +
          `POST /second HTTP/1.1\r\nHost: t\r\nContent-Length: ${upload.length}\r\n\r\n${upload}` +
          "GET /third HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
      );
      await within(client.ended, 5000, "the server closing after Connection: close");
      const responses = parseResponses(client.text());
      assert.deepEqual(responses.map((r) => [r.status, r.body]), [
        [200, "GET /first 0"],
        [200, "POST /second 100000"],
        [200, "GET /third 0"],
      ]);
      assert.equal(header(responses[2], "connection"), "close");
      client.end();
      assert.equal(await within(client.closed, 2000, "the client closing"), null);
    } finally {
      await hussar.close();
    }
    assert.equal(hussar.connectionCount, 0);
    assert.equal(await refused(target), true);
    const after = await fdsSettle(before);
    if (before !== null) assert.ok(after! <= before, `fds: ${before} before, ${after} after`);
  });

  it("after a request that asked to close, closes its socket at once: no lingering close while the client stays open", async () => {
    const { hussar, listener } = await serveHttp();
    const target = { port: listener.addr.port, host: "127.0.0.1" };
    try {
      const client = await connect(target);
      await client.write("GET /bye HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
      await within(client.ended, 5000, "the server's FIN");
      assert.equal(parseResponses(client.text())[0].body, "GET /bye 0");
      // The client keeps its side open. A lingering close would hold the server's socket until
      // the client's FIN or its 2 s bound; the request said all the client will send.
      const server = listener.addr.port;
      const port = client.socket.localPort!;
      for (let i = 0; i < 50 && serverSocketHeld(server, port) === true; i++) await sleep(20);
      assert.notEqual(serverSocketHeld(server, port), true, "the server still holds its socket");
      client.end();
      assert.equal(await within(client.closed, 2000, "the client closing"), null);
    } finally {
      await hussar.close();
    }
  });

  it(
    "after a request that asked to close, the kernel still sends all it holds, then the FIN",
    async () => {
      const big = new Uint8Array(8 << 20).map((_, i) => i % 251);
      const hussar = new Hussar({
        handler: httpHandler(() => ({ status: 200, headers: [], body: big })),
      });
      const listener = await listen({ hostname: "127.0.0.1", port: 0 });
      hussar.attachSource(listener);
      try {
        const client = await connect({ port: listener.addr.port, host: "127.0.0.1" });
        client.socket.pause();
        await client.write("GET /big HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        // The client reads nothing until the server's kernel holds part of the answer: the
        // server closes its socket while those bytes still wait to leave.
        const server = listener.addr.port;
        const port = client.socket.localPort!;
        for (let i = 0; i < 250 && serverSendQueue(server, port) < 256 << 10; i++) await sleep(20);
        client.socket.resume();
        await within(client.ended, 10_000, "the server's FIN");
        const [response] = parseResponses(client.text());
        assert.equal(Number(header(response, "content-length")), big.length);
        assert.equal(client.received - client.text().indexOf("\r\n\r\n") - 4, big.length);
        assert.deepEqual(client.bytes().subarray(client.received - big.length), big);
        client.end();
        assert.equal(await within(client.closed, 2000, "the client closing"), null);
      } finally {
        await hussar.close();
      }
    },
  );

  it("close() ends idle keep-alive connections and leaves no socket behind", async () => {
    const before = openFds();
    const { hussar, listener } = await serveHttp();
    const target = { port: listener.addr.port, host: "127.0.0.1" };
    const clients = await Promise.all([connect(target), connect(target), connect(target)]);
    for (const client of clients) await client.write("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    for (const client of clients) await client.waitForBytes(1);
    assert.equal(hussar.connectionCount, 3);
    await within(hussar.close(), 5000, "hussar.close()");
    assert.equal(hussar.connectionCount, 0);
    for (const client of clients) {
      await within(Promise.race([client.ended, client.closed]), 2000, "the server's end");
      client.destroy();
      await within(client.closed, 2000, "the client closing");
      assert.equal(parseResponses(client.text())[0].body, "GET / 0");
    }
    assert.equal(await refused(target), true);
    const after = await fdsSettle(before);
    if (before !== null) assert.ok(after! <= before, `fds: ${before} before, ${after} after`);
  });

  it("serves the runtime's own fetch()", async () => {
    const { hussar, listener } = await serveHttp();
    try {
      const response = await within(
        fetch(`http://127.0.0.1:${listener.addr.port}/hello`, {
          method: "POST",
          body: "four",
          headers: { connection: "close" },
        }),
        5000,
        "fetch",
      );
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "POST /hello 4");
    } finally {
      await hussar.close();
    }
  });
});
