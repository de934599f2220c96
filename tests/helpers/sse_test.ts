import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  encodeServerSentEvent,
  type ServerSentEvent,
  ServerSentEventError,
  ServerSentEventStream,
  sseResponse,
} from "../../helpers/mod.ts";
import { serve } from "../../serve/mod.ts";

function streamOf<T>(items: T[]): ReadableStream<T> {
  return new ReadableStream<T>({
    start(controller) {
      for (const item of items) controller.enqueue(item);
      controller.close();
    },
  });
}

/** Waits (a bounded number of host ticks) until `condition` holds. */
async function eventually(condition: () => boolean, message: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(condition(), message);
}

async function encodeAll(events: ServerSentEvent[]): Promise<string> {
  return await new Response(streamOf(events).pipeThrough(new ServerSentEventStream())).text();
}

describe("ServerSentEventStream", () => {
  it("writes comment, event, id, retry and data lines, then the blank line that dispatches", async () => {
    assert.equal(
      await encodeAll([
        { comment: "hello", event: "update", id: 7, retry: 1500, data: "payload" },
        { data: "second" },
      ]),
      ": hello\nevent: update\nid: 7\nretry: 1500\ndata: payload\n\ndata: second\n\n",
    );
  });

  it("splits data and comments on LF, CRLF and CR into one line each", () => {
    assert.equal(
      encodeServerSentEvent({ data: "a\nb\r\nc\rd" }),
      "data: a\ndata: b\ndata: c\ndata: d\n\n",
    );
    assert.equal(encodeServerSentEvent({ comment: "x\ny" }), ": x\n: y\n\n");
    assert.equal(encodeServerSentEvent({ data: "" }), "data: \n\n");
    assert.equal(encodeServerSentEvent({ comment: "" }), ":\n\n");
  });

  it("refuses CR or LF in event and id, NUL in id, a bad retry and an empty event, naming the field", () => {
    const cases: [ServerSentEvent, string][] = [
      [{ event: "a\nb", data: "x" }, "event"],
      [{ event: "a\rb", data: "x" }, "event"],
      [{ id: "1\r\n2", data: "x" }, "id"],
      [{ id: "a\0b", data: "x" }, "id"],
      [{ retry: -1 }, "retry"],
      [{ retry: 1.5 }, "retry"],
      [{ retry: NaN }, "retry"],
      [{}, "event object"],
    ];
    for (const [event, field] of cases) {
      assert.throws(
        () => encodeServerSentEvent(event),
        (error: unknown) =>
          error instanceof ServerSentEventError && error instanceof TypeError &&
          error.field === field && error.message.includes(field),
        JSON.stringify(event),
      );
    }
  });

  it("errors the stream with the typed error when an event is bad", async () => {
    const bytes = streamOf<ServerSentEvent>([{ data: "ok" }, { event: "bad\n" }])
      .pipeThrough(new ServerSentEventStream());
    await assert.rejects(new Response(bytes).text(), ServerSentEventError);
  });
});

describe("sseResponse()", () => {
  it("sets text/event-stream and no-cache, keeps status and extra headers, allows overrides", async () => {
    const response = sseResponse(streamOf([{ data: "x" }]), {
      status: 201,
      headers: { "x-extra": "1" },
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    assert.equal(response.headers.get("cache-control"), "no-cache");
    assert.equal(response.headers.get("x-extra"), "1");
    assert.equal(await response.text(), "data: x\n\n");
    const overridden = sseResponse(streamOf([{ data: "x" }]), {
      headers: { "cache-control": "no-store" },
    });
    assert.equal(overridden.headers.get("cache-control"), "no-store");
    await overridden.body!.cancel();
  });

  it("takes an async iterable and returns it (its finally runs) when the reader cancels", async () => {
    let finished = false;
    async function* events(): AsyncGenerator<ServerSentEvent> {
      try {
        for (let i = 0;; i++) yield { id: i, data: `n${i}` };
      } finally {
        finished = true;
      }
    }
    const reader = sseResponse(events()).body!.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), "id: 0\ndata: n0\n\n");
    await reader.cancel();
    await eventually(() => finished, "the generator's finally did not run");
  });

  it("is streamed by serve() without buffering: the first event arrives while the stream is open", async () => {
    let cancelled: (reason: unknown) => void;
    const cancelledPromise = new Promise<unknown>((resolve) => (cancelled = resolve));
    let open = true;
    let keepAlive: ReturnType<typeof setInterval> | undefined;
    const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
      sseResponse(
        new ReadableStream<ServerSentEvent>({
          start(controller) {
            controller.enqueue({ event: "hello", data: "first" });
            // Then only keep-alive comments, and no close: an unbuffered server delivers the
            // event now; the comments let it see the client leave (a write fails).
            keepAlive = setInterval(() => controller.enqueue({ comment: "keep-alive" }), 20);
          },
          cancel(reason) {
            clearInterval(keepAlive);
            open = false;
            cancelled(reason);
          },
        }),
      ));
    await server.ready;
    try {
      const controller = new AbortController();
      const response = await fetch(server.url, { signal: controller.signal });
      assert.equal(response.headers.get("content-type"), "text/event-stream");
      assert.equal(response.headers.get("cache-control"), "no-cache");
      const reader = response.body!.getReader();
      let text = "";
      while (!text.includes("\n\n")) {
        const { value, done } = await reader.read();
        assert.equal(done, false, "the stream ended before the first event");
        text += new TextDecoder().decode(value);
      }
      assert.equal(text.slice(0, text.indexOf("\n\n") + 2), "event: hello\ndata: first\n\n");
      assert.equal(open, true);
      controller.abort();
      await reader.cancel().catch(() => {});
      // The server cancels the events once the client is gone (bounded, so a failure cannot hang).
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        cancelledPromise,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("the events were not cancelled")), 10_000);
        }),
      ]).finally(() => clearTimeout(timer));
      assert.equal(open, false);
    } finally {
      await server.close();
    }
  });
});
