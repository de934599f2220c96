/**
 * Response header injection: a CR, LF or NUL in a header name or value (or
 * a reason phrase) that an app hands to the low-level engine, where headers
 * may be plain pairs or records rather than a checked Web `Headers`, throws
 * InvalidHeaderError before any byte of the response is written.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { Hussar } from "../../core/mod.ts";
import {
  httpHandler,
  type HttpResponse,
  InvalidHeaderError,
  respondOn,
  serializeResponseHead,
  waitForHeaders,
} from "../../httputil/mod.ts";
import { FakeSource } from "../../sources/mod.ts";
import { header, parseResponses } from "../_http.ts";

const INJECTIONS: [string, HttpResponse["headers"]][] = [
  ["CRLF in a value (pairs)", [["x-a", "ok\r\nset-cookie: stolen=1"]]],
  ["bare LF in a value (pairs)", [["x-a", "ok\nset-cookie: stolen=1"]]],
  ["bare CR in a value (record)", { "x-a": "ok\rset-cookie: stolen=1" }],
  ["NUL in a value (record)", { "x-a": "ok\x00" }],
  ["CRLFCRLF body injection (pairs)", [["location", "/x\r\n\r\n<script>stolen=1</script>"]]],
  ["CRLF in a name (pairs)", [["x-a\r\nset-cookie", "stolen=1"]]],
  ["NUL in a name (record)", { "x-a\x00": "1" }],
  ["colon in a name (record)", { "x-a: stolen": "1" }],
  ["empty name (pairs)", [["", "stolen=1"]]],
];

describe("response header injection", () => {
  for (const [name, headers] of INJECTIONS) {
    it(`serializeResponseHead refuses ${name}`, () => {
      assert.throws(
        () => serializeResponseHead({ status: 200, headers }),
        (error: unknown) =>
          error instanceof InvalidHeaderError && error instanceof TypeError &&
          /invalid (value for header|header name)/.test(error.message),
      );
    });
  }

  it("respondOn throws InvalidHeaderError and writes nothing", async () => {
    const outcomes: { error: unknown; written: number }[] = [];
    const hussar = new Hussar({
      *handler(conn) {
        yield* waitForHeaders(conn);
        for (const [, headers] of INJECTIONS) {
          const before = conn.bytesWritten + conn.bufferedAmount;
          try {
            respondOn(conn, { status: 200, headers });
            outcomes.push({ error: null, written: 0 });
          } catch (error) {
            outcomes.push({ error, written: conn.bytesWritten + conn.bufferedAmount - before });
          }
        }
      },
    });
    const source = new FakeSource();
    hussar.attachSource(source);
    const client = source.connect();
    client.write("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    assert.equal(await client.readText(), "", "not a byte went out");
    assert.equal(outcomes.length, INJECTIONS.length);
    for (const { error, written } of outcomes) {
      assert.ok(error instanceof InvalidHeaderError, String(error));
      assert.equal(written, 0);
    }
    await hussar.close();
  });

  it("refuses a reason phrase with CRLF before writing", () => {
    assert.throws(
      () => serializeResponseHead({ status: 200, statusText: "OK\r\nset-cookie: stolen=1" }),
      /invalid reason phrase/,
    );
  });

  it("an app returning an injected header gets a 500 instead, and nothing of it leaks", async () => {
    const errors: unknown[] = [];
    const hussar = new Hussar({
      handler: httpHandler(
        (request) =>
          request.head.target === "/bad"
            ? { status: 200, headers: [["x-a", "ok\r\nset-cookie: stolen=1"]], body: "secret" }
            : { status: 200, body: "next" },
        { onError: (error) => errors.push(error) },
      ),
    });
    const source = new FakeSource();
    hussar.attachSource(source);
    const client = source.connect();
    client.write("GET /bad HTTP/1.1\r\nHost: h\r\n\r\nGET /ok HTTP/1.1\r\nHost: h\r\n\r\n");
    client.end();
    const text = await client.readText();
    const [response] = parseResponses(text);
    assert.equal(response.status, 500);
    assert.equal(header(response, "connection"), "close");
    assert.ok(!/stolen|secret|next/.test(text), `leaked: ${text}`);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof InvalidHeaderError);
    assert.equal((errors[0] as InvalidHeaderError).headerName, "x-a");
    await hussar.close();
  });
});
