import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { start } from "../../examples/sse.ts";
import { startExample } from "./_run.ts";

/** Reads `count` dispatched events (blank-line separated blocks) from an SSE response. */
async function readEvents(response: Response, count: number): Promise<Map<string, string>[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const events: Map<string, string>[] = [];
  while (events.length < count) {
    const step = await reader.read();
    assert.equal(step.done, false, "the event stream ended");
    buffer += decoder.decode(step.value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) !== -1 && events.length < count) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of block.split("\n")) {
        const colon = line.indexOf(":");
        if (colon === 0) continue; // a comment
        fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
      }
      if (fields.size > 0) events.push(fields);
    }
  }
  await reader.cancel();
  return events;
}

describe("examples/sse", () => {
  it("streams numbered ticks and resumes after Last-Event-ID", async () => {
    const server = await start({ port: 0, every: 10 });
    try {
      const response = await fetch(new URL("/events", server.url));
      assert.equal(response.headers.get("content-type"), "text/event-stream");
      const events = await readEvents(response, 4);
      assert.equal(events[0].get("retry"), "2000");
      assert.deepEqual(
        events.slice(1).map((e) => [e.get("event"), e.get("id"), e.get("data")]),
        [["tick", "0", "tick 0"], ["tick", "1", "tick 1"], ["tick", "2", "tick 2"]],
      );
      const resumed = await fetch(new URL("/events", server.url), {
        headers: { "last-event-id": "41" },
      });
      const [, next] = await readEvents(resumed, 2);
      assert.equal(next.get("id"), "42");
      const page = await (await fetch(server.url)).text();
      assert.match(page, /new EventSource\("\/events"\)/);
    } finally {
      await server.close();
    }
  });

  it("runs as a program", async () => {
    const program = await startExample("sse");
    try {
      const [, first] = await readEvents(await fetch(new URL("/events", program.url)), 2);
      assert.equal(first.get("data"), "tick 0");
    } finally {
      await program.stop();
    }
  });
});
