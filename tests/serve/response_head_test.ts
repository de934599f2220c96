/**
 * The same response on every runtime: for each kind of Fetch body, the
 * response head hussar writes is compared byte for byte (its `Date` aside)
 * with the one stated here, so Deno, Bun and Node are held to the same
 * bytes. The Content-Type is the Fetch standard's ("extract a body"); a
 * body that is complete at once has a Content-Length however the runtime
 * cuts it into chunks, unless the program gave it as a stream of more than
 * 64 KiB: that one goes chunked, as it is made.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { listen } from "../../sources/listen.ts";
import { fakeHarness, type Harness, socketHarness, workerHarness } from "./_harness.ts";

const harnesses: Harness[] = [fakeHarness, socketHarness(listen as never), workerHarness(1)];
const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const encode = (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text);
const BIG = 2 * 1024 * 1024; // past Bun's 16 KiB first chunk and past the gathering cap

const PART = 64 * 1024;
/** Parts of a body, each filled with its own letter. */
const PARTS = ["a", "b", "c", "d"].map((letter) => new Uint8Array(PART).fill(letter.charCodeAt(0)));

/** Two parts that pass 64 KiB only with the second, the stream's last. */
const HALVES = ["e", "f"].map((letter) => new Uint8Array(40_000).fill(letter.charCodeAt(0)));

/** A stream of `parts` that is complete at once (each part a fresh copy). */
function completeStream(parts: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(part.slice());
      controller.close();
    },
  });
}

const head = (...fields: string[]): string =>
  ["HTTP/1.1 200 OK", ...fields, "connection: close"].join("\r\n");

interface Case {
  body: () => Response;
  head: string;
}

const cases: Record<string, Case> = {
  "string": {
    body: () => new Response("hello"),
    head: head("content-type: text/plain;charset=UTF-8", "content-length: 5"),
  },
  "a big string": {
    body: () => new Response("x".repeat(BIG)),
    head: head("content-type: text/plain;charset=UTF-8", `content-length: ${BIG}`),
  },
  "a string whose fields are changed after it is made": {
    // hussar sends a plain string's Content-Type without its Headers unless they were read.
    body: () => {
      const response = new Response("hello");
      response.headers.set("content-type", "text/html");
      response.headers.append("x-a", "1");
      return response;
    },
    head: head("content-type: text/html", "x-a: 1", "content-length: 5"),
  },
  "a string whose Content-Type is deleted": {
    body: () => {
      const response = new Response("hello");
      response.headers.delete("content-type");
      return response;
    },
    head: head("content-length: 5"),
  },
  "a string with its own type": {
    body: () => new Response("<p>", { headers: { "content-type": "text/html" } }),
    head: head("content-type: text/html", "content-length: 3"),
  },
  "Uint8Array": {
    body: () => new Response(encode("bytes")),
    head: head("content-length: 5"),
  },
  "a big Uint8Array": {
    body: () => new Response(new Uint8Array(BIG)),
    head: head(`content-length: ${BIG}`),
  },
  "ArrayBuffer": {
    body: () => new Response(encode("buffer").buffer as ArrayBuffer),
    head: head("content-length: 6"),
  },
  "a big ArrayBuffer": {
    body: () => new Response(new ArrayBuffer(BIG)),
    head: head(`content-length: ${BIG}`),
  },
  "Blob without a type": {
    body: () => new Response(new Blob(["blob"])),
    head: head("content-length: 4"),
  },
  "Blob with a type": {
    // Not a text/* type: Bun's Blob adds ";charset=utf-8" to those itself (blob.type says so).
    body: () => new Response(new Blob(["png"], { type: "image/png" })),
    head: head("content-type: image/png", "content-length: 3"),
  },
  "a big Blob": {
    body: () => new Response(new Blob([new Uint8Array(BIG)])),
    head: head(`content-length: ${BIG}`),
  },
  "FormData": {
    body: () => {
      const form = new FormData();
      form.append("greeting", "hello");
      form.append("n", "1");
      return new Response(form);
    },
    // The boundary and so the length are the runtime's own (see normalise()).
    head: head(
      "content-type: multipart/form-data; boundary=<boundary>",
      "content-length: <length of the body>",
    ),
  },
  "URLSearchParams": {
    body: () => new Response(new URLSearchParams({ a: "1", b: "two" })),
    head: head(
      "content-type: application/x-www-form-urlencoded;charset=UTF-8",
      "content-length: 9",
    ),
  },
  "Response.json()": {
    body: () => Response.json({ a: 1 }),
    head: head("content-type: application/json", "content-length: 7"),
  },
  "Response.json() with its own type": {
    body: () =>
      Response.json({ a: 1 }, { headers: { "content-type": "application/problem+json" } }),
    head: head("content-type: application/problem+json", "content-length: 7"),
  },
  "a stream that is complete at once": {
    body: () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(encode("str"));
            controller.enqueue(encode("eam"));
            controller.close();
          },
        }),
      ),
    head: head("content-length: 6"),
  },
  "a stream complete at once that passes 64 KiB with its last chunk": {
    // Chunks past the size hussar joins: sent as they are, with their length.
    body: () => new Response(completeStream(HALVES)),
    head: head("content-length: 80000"),
  },
  "a big stream that is complete at once": {
    // The program's own stream past 64 KiB: sent as it is made, not gathered whole.
    body: () => new Response(completeStream(PARTS)),
    head: head("transfer-encoding: chunked"),
  },
  "a stream that waits": {
    body: () =>
      new Response(
        new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(encode("str"));
            // Far longer than the one event-loop turn a body gets to show it is complete at
            // once, even on a loaded machine.
            await tick(500);
            controller.enqueue(encode("eam"));
            controller.close();
          },
        }),
      ),
    head: head("transfer-encoding: chunked"),
  },
};

/**
 * The head without its `Date` (checked, then dropped) and, for a
 * multipart body, with the boundary and the length (checked against the
 * body received) named instead of given.
 */
function normalise(text: string): string {
  const end = text.indexOf("\r\n\r\n");
  assert.ok(end > 0, `no response head in ${JSON.stringify(text.slice(0, 200))}`);
  let responseHead = text.slice(0, end);
  const body = text.slice(end + 4);
  const date = /\r\ndate: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT(?=\r\n)/;
  assert.match(responseHead, date);
  responseHead = responseHead.replace(date, "");
  const boundary = /boundary=([^\r]+)/.exec(responseHead)?.[1];
  if (boundary !== undefined) {
    responseHead = responseHead.replace(`boundary=${boundary}`, "boundary=<boundary>")
      .replace(`content-length: ${body.length}\r\n`, "content-length: <length of the body>\r\n");
  }
  return responseHead;
}

for (const harness of harnesses) {
  describe(`response heads over the ${harness.name}`, { timeout: 60_000 }, () => {
    it("are the same bytes for every kind of body, whatever the runtime", async () => {
      const server = await harness.serve((request) =>
        cases[decodeURIComponent(new URL(request.url).pathname.slice(1))].body()
      );
      try {
        const expected: Record<string, string> = {};
        const actual: Record<string, string> = {};
        for (const [name, { head }] of Object.entries(cases)) {
          expected[name] = head;
          actual[name] = normalise(
            await server.exchange(
              `GET /${encodeURIComponent(name)} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`,
            ),
          );
        }
        assert.deepEqual(actual, expected);
      } finally {
        await server.close();
      }
    });

    it("sends a stream complete at once in chunks past the size joined whole and in order", async () => {
      const server = await harness.serve(() => new Response(completeStream(HALVES)));
      try {
        const text = await server.exchange(
          "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        );
        assert.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*content-length: 80000\r\n/);
        const body = text.slice(text.indexOf("\r\n\r\n") + 4);
        assert.equal(body, "e".repeat(40_000) + "f".repeat(40_000));
      } finally {
        await server.close();
      }
    });

    it("sends a big stream complete at once chunked, each chunk framed whole and in order", async () => {
      const server = await harness.serve(() => new Response(completeStream(PARTS)));
      try {
        const text = await server.exchange(
          "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        );
        assert.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*transfer-encoding: chunked\r\n/);
        const body = text.slice(text.indexOf("\r\n\r\n") + 4);
        const framed = ["a", "b", "c", "d"].map((letter) => `10000\r\n${letter.repeat(PART)}\r\n`);
        assert.equal(body, `${framed.join("")}0\r\n\r\n`);
      } finally {
        await server.close();
      }
    });

    it("sends a stream that waits chunked, each 64 KiB chunk framed whole and in order", async () => {
      const server = await harness.serve(() =>
        new Response(
          new ReadableStream<Uint8Array>({
            async start(controller) {
              controller.enqueue(PARTS[0].slice());
              await tick(500); // past the turn in which a complete body shows it is
              for (const part of PARTS.slice(1)) controller.enqueue(part.slice());
              controller.close();
            },
          }),
        )
      );
      try {
        const text = await server.exchange(
          "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        );
        assert.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*transfer-encoding: chunked\r\n/);
        const body = text.slice(text.indexOf("\r\n\r\n") + 4);
        const framed = ["a", "b", "c", "d"].map((letter) => `10000\r\n${letter.repeat(PART)}\r\n`);
        assert.equal(body, `${framed.join("")}0\r\n\r\n`);
      } finally {
        await server.close();
      }
    });
  });
}
