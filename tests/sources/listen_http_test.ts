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
 * Whether the server's end of a loopback TCP connection is still held by a
 * process, from the kernel's socket table (Linux): a socket closed by its
 * owner has no inode, or is gone. Null without the table.
 */
function serverSocketHeld(server: number, client: number): boolean | null {
  const tables = ["/proc/net/tcp", "/proc/net/tcp6"].filter(existsSync);
  if (tables.length === 0) return null;
  const hex = (port: number): string => port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of tables) {
    for (const line of readFileSync(table, "latin1").split("\n").slice(1)) {
      // sl local_address rem_address st queues tr:when retrnsmt uid timeout inode ...
      const fields = line.trim().split(/\s+/);
      if (!fields[1]?.endsWith(`:${hex(server)}`) || !fields[2]?.endsWith(`:${hex(client)}`)) {
        continue;
      }
      return fields[9] !== "0";
    }
  }
  return false;
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
