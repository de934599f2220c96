/**
 * A client's fault is never the application's: a malformed chunked body, a
 * body over the limit, or a client too slow with its body, met while the
 * handler reads the body, is answered by the engine (400, 413, 408, each
 * with `Connection: close`) and reaches neither `onError` nor the log; a
 * malformed body the handler never reads is a 400 and a close, never a 200
 * that promises keep-alive. Over the fake source, a real socket, and worker
 * mode.
 */
import { afterEach, beforeEach, describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { header, parseResponses } from "../_http.ts";
import { fakeHarness, type Harness, socketHarness, workerHarness } from "./_harness.ts";
import { listen } from "../../sources/listen.ts";

const harnesses: Harness[] = [fakeHarness, socketHarness(listen as never), workerHarness(1)];

/** A chunked body whose first size line is not hexadecimal (RFC 9112 §7.1). */
const BAD_CHUNKS = "zz\r\nhello\r\n0\r\n\r\n";

let logged: unknown[][] = [];
const original = console.error;
beforeEach(() => {
  logged = [];
  console.error = (...args: unknown[]) => void logged.push(args);
});
afterEach(() => {
  console.error = original;
});

for (const harness of harnesses) {
  describe(`client faults over the ${harness.name}`, () => {
    const cases: { name: string; status: number; raw: string; slow?: boolean }[] = [
      {
        name: "a malformed chunked body",
        status: 400,
        raw: `POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n${BAD_CHUNKS}`,
      },
      {
        name: "a chunked body over maxBodyBytes",
        status: 413,
        raw: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
          "20\r\n" + "x".repeat(32) + "\r\n0\r\n\r\n",
      },
      {
        name: "a body that stops coming (bodyTimeoutMs)",
        status: 408,
        raw: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc",
        slow: true,
      },
    ];
    for (const { name, status, raw } of cases) {
      it(`${name}, met while the handler reads it: ${status} and a close, not onError`, async () => {
        const errors: unknown[] = [];
        let read: unknown = "not read";
        const server = await harness.serve(async (request) => {
          try {
            read = await request.text();
          } catch (error) {
            read = error;
            throw error;
          }
          return new Response("read it all");
        }, {
          maxBodyBytes: 16,
          bodyTimeoutMs: 300,
          onError: (error: unknown) => {
            errors.push(error);
            return new Response("handler failed", { status: 500 });
          },
        });
        const client = await server.connect();
        client.write(raw);
        const [response, ...more] = parseResponses(await client.readText());
        assert.equal(response.status, status, response.body);
        assert.equal(header(response, "connection"), "close");
        assert.equal(more.length, 0);
        assert.ok(read instanceof Error, "the handler's read failed");
        assert.deepEqual(errors, [], "onError was not called");
        assert.deepEqual(logged, [], "nothing was logged");
        await server.close();
      });
    }

    for (const method of ["GET", "HEAD", "POST"]) {
      it(`a malformed chunked body the handler never reads (${method}): 400 and a close`, async () => {
        let called = 0;
        const server = await harness.serve(() => {
          called++;
          return new Response("ok");
        });
        const client = await server.connect();
        client.write(
          `${method} / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n${BAD_CHUNKS}`,
        );
        const text = await client.readText();
        const [response, ...more] = parseResponses(text, () => method === "HEAD");
        assert.equal(response.status, 400, text);
        assert.equal(header(response, "connection"), "close");
        assert.deepEqual(more, [], "nothing after the 400");
        assert.ok(called <= 1);
        assert.deepEqual(logged, [], "nothing was logged");
        await server.close();
      });
    }

    it("a response never promises keep-alive when the unread body is too large to drain", async () => {
      const server = await harness.serve(() => new Response("no thanks"), {
        maxDrainBytes: 1024,
      });
      const client = await server.connect();
      client.write("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\nabc");
      const [response] = parseResponses(await client.readText());
      assert.equal(response.status, 200);
      assert.equal(response.body, "no thanks");
      assert.equal(header(response, "connection"), "close");
      assert.equal(header(response, "keep-alive"), undefined);
      await server.close();
    });
  });
}
