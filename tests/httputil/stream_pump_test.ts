import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { Hussar } from "../../core/mod.ts";
import type { Transport } from "../../core/transport.ts";
import { httpHandler, type HttpResponse } from "../../httputil/mod.ts";
import type { DirectSink } from "../../internal/direct_io.ts";
import { directOnlyTransport, onceSource } from "../_recording_transport.ts";

const GET = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n");

/**
 * A connection that sends one GET and takes every write at once; `text()` is
 * what came back, `writes` the sink's calls (`writev`, with `gathers`).
 */
function eagerClient(gathers = false): { transport: Transport; text(): string; writes: number } {
  let text = "";
  const decoder = new TextDecoder();
  const client = { transport: null as unknown as Transport, text: () => text, writes: 0 };
  const sink: DirectSink = {
    write(chunk) {
      client.writes++;
      text += decoder.decode(chunk);
    },
    end() {},
    abort() {},
  };
  if (gathers) {
    sink.writev = (chunks) => {
      client.writes++;
      for (const chunk of chunks) text += decoder.decode(chunk);
    };
  }
  client.transport = directOnlyTransport(onceSource(GET), sink);
  return client;
}

/** Serves one streamed response to an eager client; resolves with it once it has ended. */
async function serveOne(
  hussar: Hussar,
  client: ReturnType<typeof eagerClient>,
): Promise<string> {
  hussar.addConnection(client.transport);
  for (let i = 0; i < 1000 && !client.text().endsWith("0\r\n\r\n"); i++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return client.text();
}

/** Streams `chunks` chunks of 1 KiB to an eager client: what came back, and the scheduler turns taken. */
async function streamed(chunks: number): Promise<{ text: string; turns: number }> {
  const chunk = new Uint8Array(1024).fill(0x61);
  async function* body(): AsyncIterable<Uint8Array> {
    for (let i = 0; i < chunks; i++) yield chunk;
  }
  const hussar = new Hussar({
    highWaterMark: 64 * 1024,
    handler: httpHandler((): HttpResponse => ({ status: 200, body: body() })),
  });
  const before = hussar.scheduler.turn;
  const text = await serveOne(hussar, eagerClient());
  const turns = hussar.scheduler.turn - before;
  await hussar.close();
  assert.equal(text.split("400\r\n").length - 1, chunks, "every chunk sent");
  assert.ok(text.endsWith("0\r\n\r\n"), "the last chunk sent");
  return { text, turns };
}

describe("ResponseWriter: an async-iterable body to a client that keeps up", () => {
  it("writes a run of chunks with one scheduler turn, not one per chunk", async () => {
    const CHUNKS = 32;
    const { turns } = await streamed(CHUNKS);
    assert.ok(
      turns <= CHUNKS / 4,
      `${turns} turns for ${CHUNKS} chunks (one each would be ${CHUNKS})`,
    );
  });

  it("ends a body of one run's chunks (16) in that run: no turn more than a body of one chunk", async () => {
    const { turns: one } = await streamed(1);
    assert.equal((await streamed(16)).turns, one, "16 chunks and the end: one pump");
    assert.equal((await streamed(17)).turns, one + 1, "the 17th chunk: a pump more, after a turn");
  });

  it("still lets host tasks run while a producer that never waits streams to it", async () => {
    const chunk = new Uint8Array(16).fill(0x62);
    let produced = 0;
    let producedAtHostTask = -1;
    const hostTask = (): void => void (producedAtHostTask = produced);
    async function* body(): AsyncIterable<Uint8Array> {
      // Bounded so that a starved host loop fails the test rather than hanging it.
      while (producedAtHostTask === -1 && produced < 100_000) {
        produced++;
        yield chunk;
      }
    }
    const hussar = new Hussar({
      handler: httpHandler((): HttpResponse => {
        setImmediate(hostTask);
        return { status: 200, body: body() };
      }),
    });
    const text = await serveOne(hussar, eagerClient());
    await hussar.close();
    assert.ok(text.endsWith("0\r\n\r\n"), "the response ended");
    assert.ok(
      producedAtHostTask >= 0 && producedAtHostTask < 1000,
      `a host task ran after ${producedAtHostTask} chunks`,
    );
    assert.equal(text.split("10\r\nbbbbbbbbbbbbbbbb").length - 1, produced, "every chunk sent");
  });
});

describe("ResponseWriter: a streamed body's end", () => {
  /** Serves `body` chunked to an eager client: what came back, and the sink's writes. */
  async function served(
    body: () => HttpResponse["body"],
    gathers: boolean,
  ): Promise<{ text: string; writes: number }> {
    const hussar = new Hussar({
      handler: httpHandler((): HttpResponse => ({ status: 200, body: body() })),
    });
    const client = eagerClient(gathers);
    const text = await serveOne(hussar, client);
    await hussar.close();
    return { text, writes: client.writes };
  }

  for (const gathers of [false, true]) {
    it(`leaves with the last chunk: one write per chunk, none of its own (${gathers ? "writev" : "write"})`, async () => {
      // Without a gathered write, a chunk of 16 KiB or more leaves on its own (not copied).
      const size = gathers ? 20 * 1024 : 1024;
      const chunk = new Uint8Array(size).fill(0x63);
      for (const chunks of [1, 3, 16]) {
        const generated = async function* (): AsyncIterable<Uint8Array> {
          for (let i = 0; i < chunks; i++) yield chunk;
        };
        let pulled = 0;
        const stream = (): ReadableStream<Uint8Array> =>
          new ReadableStream({
            pull(controller) {
              controller.enqueue(chunk);
              if (++pulled === chunks) controller.close();
            },
          }, { highWaterMark: 0 });
        for (const body of [generated, stream]) {
          const { text, writes } = await served(body, gathers);
          assert.equal(
            text.split(`${size.toString(16)}\r\n`).length - 1,
            chunks,
            "every chunk sent",
          );
          assert.ok(text.endsWith("c\r\n0\r\n\r\n"), "the end after the last chunk");
          assert.equal(
            writes,
            chunks,
            `${chunks} chunks (${body.name}): head and end went with them`,
          );
        }
      }
    });
  }

  it("does not hold a chunk for a producer that waits before its next", async () => {
    const client = eagerClient();
    async function* body(): AsyncIterable<Uint8Array> {
      yield new TextEncoder().encode("first");
      // Bounded: a chunk held until the next one would fail here, not hang.
      for (let i = 0; i < 1000 && !client.text().includes("first"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      yield new TextEncoder().encode(client.text().includes("first") ? "sent" : "held");
    }
    const hussar = new Hussar({
      handler: httpHandler((): HttpResponse => ({ status: 200, body: body() })),
    });
    const text = await serveOne(hussar, client);
    await hussar.close();
    assert.ok(text.endsWith("4\r\nsent\r\n0\r\n\r\n"), text);
  });
});
