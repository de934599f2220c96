/**
 * A body stream whose first chunks `serve()` already read (to learn whether
 * it is complete at once) leaves with its head as one gathered write, not
 * one write per chunk after a read and a turn each; past 64 KiB, a stream
 * the program made goes out chunked as it is made, not gathered whole.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { Hussar } from "../../core/mod.ts";
import { httpHandler } from "../../httputil/mod.ts";
import { fetchApp } from "../../serve/fetch_app.ts";
import { parseResponses } from "../_http.ts";
import { recordingTransport } from "../_recording_transport.ts";

const REQUEST = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/**
 * Serves one request with `handler` on a transport whose sink gathers
 * (`writev`); its write calls, which `handler` sees as they are made.
 */
async function writeCalls(
  handler: (calls: readonly Uint8Array[][]) => Response,
): Promise<Uint8Array[][]> {
  const { transport, calls, gathering } = recordingTransport(REQUEST);
  const hussar = new Hussar({ handler: httpHandler(fetchApp(() => handler(calls))) });
  gathering();
  hussar.addConnection(transport);
  await hussar.whenEmpty();
  await hussar.close();
  return calls;
}

function chunksOf(...sizes: number[]): Uint8Array[] {
  return sizes.map((size, i) => new Uint8Array(size).fill(0x61 + i));
}

describe("serve: a body's chunks at hand", () => {
  it("leave with the head in one gathered write when the stream is complete at once", async () => {
    const chunks = chunksOf(40_000, 40_000); // past 64 KiB only with its last chunk
    const calls = await writeCalls(() => {
      let sent = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            controller.enqueue(chunks[sent++]);
            if (sent === chunks.length) controller.close();
          },
        }),
      );
    });
    assert.equal(calls.length, 1, "one write for head and body");
    const [head, ...body] = calls[0];
    assert.match(text(head), /^HTTP\/1\.1 200 OK\r\n[^]*content-length: 80000\r\n[^]*\r\n\r\n$/);
    assert.equal(body.length, chunks.length);
    body.forEach((chunk, i) => assert.equal(chunk, chunks[i], "not copied"));
  });

  it("leave with the head, and the rest follows as it comes (chunked)", async () => {
    const chunks = chunksOf(30_000, 30_000, 20_000);
    const calls = await writeCalls((written) => {
      let sent = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            // The last chunk waits until the head is written: the body is not complete at
            // once, however long the machine takes (a timer could win the settling race).
            while (sent === 2 && written.length === 0) {
              await new Promise((resolve) => setTimeout(resolve, 5));
            }
            controller.enqueue(chunks[sent++]);
            if (sent === chunks.length) controller.close();
          },
        }),
      );
    });
    const first = calls[0];
    assert.match(text(first[0]), /^HTTP\/1\.1 200 OK\r\n[^]*transfer-encoding: chunked\r\n/);
    assert.ok(first.includes(chunks[0]) && first.includes(chunks[1]), "both at hand in the first");
    assert.ok(!first.includes(chunks[2]));
    const [response] = parseResponses(text(joined(calls.flat())));
    assert.equal(response.status, 200);
    assert.equal(response.body, chunks.map(text).join(""));
  });

  it("past 64 KiB leave as the stream is made: its producer stays a few chunks ahead of the client", async () => {
    const chunks = chunksOf(...new Array(16).fill(64 * 1024)); // 1 MiB, complete at once
    // For each chunk the producer is asked for: how many of the chunks were written by then.
    const writtenAtPull: number[] = [];
    const calls = await writeCalls((written) => {
      let sent = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            writtenAtPull.push(chunks.filter((chunk) => written.flat().includes(chunk)).length);
            controller.enqueue(chunks[sent++]);
            if (sent === chunks.length) controller.close();
          },
        }),
      );
    });
    assert.match(text(calls[0][0]), /^HTTP\/1\.1 200 OK\r\n[^]*transfer-encoding: chunked\r\n/);
    assert.equal(writtenAtPull.length, chunks.length);
    // Gathered whole, none would be written before the last was asked for.
    writtenAtPull.forEach((written, i) => assert.ok(written >= i - 3, `chunk ${i}: ${written}`));
    const [response] = parseResponses(text(joined(calls.flat())));
    assert.equal(response.body, chunks.map(text).join(""));
  });
});

function joined(parts: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
  let at = 0;
  for (const part of parts) bytes.set(part, (at += part.length) - part.length);
  return bytes;
}
