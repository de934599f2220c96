import { describe, it } from "./_testing.ts";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { demoApp, demoHandler } from "../demo/app.ts";
import { serve } from "../serve/mod.ts";
import { OPCODE } from "../websocket/_frame.ts";
import { RawWebSocket } from "./websocket/_client.ts";
import { startProgram } from "./_program.ts";

const decoder = new TextDecoder();
/** The permissions `npm start` gives Deno: the demo must need no more. */
const NPM_START_FLAGS = ["--allow-net=127.0.0.1", "--allow-env=PORT"];

/** Reads a response body to its end; rejects if that takes over 30 s. */
async function readAll(body: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const reader = body.getReader();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the body did not end: ${text}`)), 30_000);
  });
  try {
    for (;;) {
      const step = await Promise.race([reader.read(), timeout]);
      if (step.done) return text;
      text += decoder.decode(step.value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
  }
}

describe("the demo server (main job)", () => {
  it("serves its page, echo, stream and SSE endpoints over a real socket", async () => {
    const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, demoHandler);
    await server.ready;
    try {
      const page = await fetch(server.url);
      assert.match(page.headers.get("content-type")!, /text\/html/);
      assert.match(await page.text(), /served here by (Deno|Bun|Node)/);

      const echo = await fetch(new URL("/echo", server.url), {
        method: "POST",
        body: "round trip",
      });
      assert.equal(await echo.text(), "round trip");
      assert.equal((await fetch(new URL("/echo", server.url))).status, 405);

      const stream = await fetch(new URL("/stream", server.url));
      assert.equal(
        await stream.text(),
        Array.from({ length: 10 }, (_, i) => `line ${i + 1} of 10\n`).join(""),
      );

      const controller = new AbortController();
      const sse = await fetch(new URL("/sse", server.url), { signal: controller.signal });
      // sseResponse's headers.
      assert.equal(sse.headers.get("content-type"), "text/event-stream");
      assert.equal(sse.headers.get("cache-control"), "no-cache");
      const first = await sse.body!.getReader().read();
      assert.match(decoder.decode(first.value), /^data: tick 0 at \d{4}-\d\d-\d\dT[\d:.]+Z\n\n$/);
      controller.abort();

      assert.equal((await fetch(new URL("/missing", server.url))).status, 404);
    } finally {
      await server.close();
    }
  });

  it("echoes a WebSocket text message prefixed, and a binary one as the same bytes", async () => {
    const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, demoHandler);
    await server.ready;
    const client = await RawWebSocket.open(server.addr.port, { path: "/ws" });
    try {
      assert.equal(client.answer.status, 101);
      client.sendText("hi");
      const text = await client.next();
      assert.equal(text?.opcode, OPCODE.text);
      assert.equal(decoder.decode(text!.payload), "echo: hi");
      const bytes = new Uint8Array([0, 1, 2, 0x80, 0xff]);
      client.send(OPCODE.binary, bytes);
      const binary = await client.next();
      assert.equal(binary?.opcode, OPCODE.binary);
      assert.deepEqual([...binary!.payload], [...bytes]);
    } finally {
      client.destroy();
      await server.close();
    }
  });

  it("ends its event streams once the stopping signal aborts", async () => {
    const stopping = new AbortController();
    const server = serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      demoApp(stopping.signal),
    );
    await server.ready;
    try {
      const sse = await fetch(new URL("/sse", server.url));
      const reader = sse.body!.getReader();
      assert.match(decoder.decode((await reader.read()).value), /^data: tick 0 at /);
      stopping.abort();
      let rest = "";
      for (let step = await reader.read(); !step.done; step = await reader.read()) {
        rest += decoder.decode(step.value);
      }
      assert.match(rest, /^(data: tick 1 at [^\n]+\n\n)?$/, "at most the tick under way");
    } finally {
      await server.close();
    }
  });
});

describe("the demo as a program (npm start)", () => {
  it("on SIGINT ends its event streams, lets a stream in flight finish, and exits 0", async () => {
    const program = startProgram("demo", [], {
      env: { PORT: "0" },
      denoFlags: NPM_START_FLAGS,
    });
    try {
      const [, url] = await program.waitFor(/^Listening on (http:\/\/127\.0\.0\.1:\d+\/)$/m);
      const sse = await fetch(new URL("/sse", url));
      const sseReader = sse.body!.getReader();
      assert.match(decoder.decode((await sseReader.read()).value), /^data: tick 0/);
      const stream = await fetch(new URL("/stream", url));
      const streamReader = stream.body!.getReader();
      const firstLine = decoder.decode((await streamReader.read()).value);
      assert.equal(firstLine, "line 1 of 10\n");
      program.signal("SIGINT");
      await program.waitFor(/SIGINT: shutting down/, "stderr");
      // The ten lines take a second: the stream was in flight, and finishes.
      streamReader.releaseLock();
      assert.equal(
        firstLine + await readAll(stream.body!),
        Array.from({ length: 10 }, (_, i) => `line ${i + 1} of 10\n`).join(""),
      );
      sseReader.releaseLock();
      await readAll(sse.body!); // ends instead of ticking forever
      assert.equal(await program.exited(), 0, program.stderr);
    } finally {
      await program.kill();
    }
  });

  it("says in one line that it cannot listen on a taken port, and exits 1", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as { port: number };
    const program = startProgram("demo", [], {
      env: { PORT: String(port) },
      denoFlags: NPM_START_FLAGS,
    });
    try {
      assert.equal(await program.exited(), 1);
      const lines = program.stderr.trim().split("\n");
      assert.equal(lines.length, 1, program.stderr);
      assert.match(lines[0], new RegExp(`127\\.0\\.0\\.1:${port}`));
    } finally {
      await program.kill();
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("refuses a PORT that is not a decimal number, quoting it, with exit code 2", async () => {
    const program = startProgram("demo", [], { env: { PORT: "80a" }, denoFlags: NPM_START_FLAGS });
    try {
      assert.equal(await program.exited(), 2);
      assert.match(program.stderr, /`port` must be .* not "80a"/);
    } finally {
      await program.kill();
    }
  });
});
