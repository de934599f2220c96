/**
 * Limits under attack, on a real socket: 100,000 header fields, a 1 GiB
 * declared body, a chunked body that never ends, a 1 MiB request line.
 * Each is refused at its limit, and the server reads only about as much
 * as the limit before refusing (bounded memory): the socket is read only
 * as the parser pulls, so the rest of the flood is never buffered.
 */
import { after, before, describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { type Connection, Hussar } from "../../core/mod.ts";
import { httpHandler } from "../../httputil/mod.ts";
import { listen, type Listener } from "../../sources/mod.ts";
import { fetchApp } from "../../serve/fetch_app.ts";
import { header, parseResponses } from "../_http.ts";
import { type Client, connect, sleep, within } from "../sources/_socket_client.ts";

/** Bytes the transport may hand over beyond a limit: a few socket reads. */
const READ_SLACK = 512 * 1024;
const MAX_BODY = 1024 * 1024;

describe("limits under attack, on a real socket", () => {
  let hussar: Hussar;
  let listener: Listener;
  const connections: Connection[] = [];

  before(async () => {
    const app = httpHandler(
      fetchApp(async (request) => {
        const body = await request.arrayBuffer();
        return new Response(`read ${body.byteLength}`);
      }, { onError: () => new Response("body failed", { status: 500 }) }),
      { maxBodyBytes: MAX_BODY, onError: () => {} },
    );
    hussar = new Hussar({
      handler: (conn, frame, pubframe) => {
        connections.push(conn);
        return app(conn, frame, pubframe);
      },
    });
    listener = await listen({ hostname: "127.0.0.1", port: 0 });
    hussar.attachSource(listener);
  });

  after(async () => {
    await hussar.close();
  });

  /**
   * Sends `head`, then pieces from `flood` with backpressure until the server
   * answers or `total` bytes went out; returns the answer and how many bytes
   * the server read from the connection.
   */
  async function attack(
    head: string,
    flood: (i: number) => string,
    total: number,
  ): Promise<{ text: string; bytesRead: number; sent: number }> {
    const from = connections.length;
    const client: Client = await connect({ host: "127.0.0.1", port: listener.addr.port });
    let sent = 0;
    try {
      await client.write(head);
      sent += head.length;
      for (let i = 0; sent < total && client.received === 0; i++) {
        const piece = flood(i);
        // A write the server no longer reads may never complete: stop at the answer.
        await Promise.race([client.write(piece).catch(() => {}), client.ended, client.closed]);
        sent += piece.length;
      }
      await within(Promise.race([client.ended, client.closed]), 10_000, "the server closing");
      await within(hussar.whenEmpty(), 10_000, "the connection dropped");
      return { text: client.text(), bytesRead: connections[from].bytesRead, sent };
    } finally {
      client.destroy();
    }
  }

  function assertRefused(text: string, status: number): void {
    const [response] = parseResponses(text);
    assert.equal(response.status, status, text.slice(0, 300));
    assert.equal(header(response, "connection"), "close");
  }

  it("refuses 100,000 header fields at the field limit (431)", async () => {
    const line = "X-Flood: aaaaaaaaaaaaaaaa\r\n";
    const { text, bytesRead } = await attack(
      "GET / HTTP/1.1\r\nHost: h\r\n",
      () => line.repeat(1000),
      line.length * 100_000,
    );
    assertRefused(text, 431);
    assert.ok(bytesRead <= 16 * 1024 + READ_SLACK, `read ${bytesRead} bytes`);
  });

  it("refuses a 1 MiB request line at the target limit (414)", async () => {
    const { text, bytesRead } = await attack(
      "GET /",
      () => "a".repeat(64 * 1024),
      1024 * 1024,
    );
    assertRefused(text, 414);
    assert.ok(bytesRead <= 8 * 1024 + READ_SLACK, `read ${bytesRead} bytes`);
  });

  it("refuses a 1 GiB declared body before reading it (413)", async () => {
    const { text, bytesRead } = await attack(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1073741824\r\n\r\n",
      () => "x".repeat(64 * 1024),
      1024 * 1024 * 1024,
    );
    assertRefused(text, 413);
    assert.match(parseResponses(text)[0].body, /exceeds the limit/);
    assert.ok(bytesRead <= READ_SLACK, `read ${bytesRead} bytes`);
  });

  it("refuses a chunked body that never ends at the body limit (413)", async () => {
    const chunk = "8000\r\n" + "y".repeat(0x8000) + "\r\n";
    const { text, bytesRead, sent } = await attack(
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
      () => chunk,
      Infinity,
    );
    assertRefused(text, 413);
    assert.ok(bytesRead >= MAX_BODY, "the limit was reached by reading");
    assert.ok(bytesRead <= MAX_BODY + READ_SLACK, `read ${bytesRead} of ${sent} bytes`);
  });

  it("still serves a normal request afterwards", async () => {
    const client = await connect({ host: "127.0.0.1", port: listener.addr.port });
    await client.write(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
    );
    await within(client.ended, 5000, "the response");
    assert.equal(parseResponses(client.text())[0].body, "read 3");
    client.destroy();
    await sleep(0);
  });
});
