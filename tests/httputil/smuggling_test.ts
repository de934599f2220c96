/**
 * Request smuggling and malformed input, as raw bytes on a real socket
 * (serve() on 127.0.0.1, the runtime's own socket adapter).
 *
 * Every hostile request is followed on the same connection by a valid
 * `GET /smuggled`. Each case must be refused with its status and
 * `Connection: close`, the server must close the connection by itself, and
 * nothing behind the refused request may reach the application: a desync
 * would show as a second response or as `/smuggled` in the app's log.
 */
import { after, before, describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { header, parseResponses } from "../_http.ts";
import { connect, within } from "../sources/_socket_client.ts";
import { until } from "../_until.ts";
import { type HttpServer, serve } from "../../serve/mod.ts";

const FOLLOW_UP = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n";
/** Sent after the follow-up in the accepted cases, so the server closes. */
const CLOSING = "GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
const POST = (headers: string, body = ""): string =>
  `POST / HTTP/1.1\r\nHost: h\r\n${headers}\r\n${body}`;

interface Case {
  name: string;
  /** The hostile bytes, as latin1 text (each char one byte). */
  raw: string;
  /** Acceptable statuses. */
  status: number[];
}

const TE_TE: Case[] = [
  ["space before colon", "Transfer-Encoding : chunked"],
  ["tab before colon", "Transfer-Encoding\t: chunked"],
  ["vertical tab before value", "Transfer-Encoding: \x0bchunked"],
  ["vertical tab after value", "Transfer-Encoding: chunked\x0b"],
  ["form feed in value", "Transfer-Encoding: \x0cchunked"],
  ["bare CR in value", "Transfer-Encoding: chunked\rX: y"],
  ["CR before CRLF", "Transfer-Encoding: chunked\r"],
  ["NUL after value", "Transfer-Encoding: chunked\x00"],
  ["\\xff in name", "Transfer\xff-Encoding: chunked"],
  ["leading whitespace on first field", " Transfer-Encoding: chunked"],
  ["obs-fold continuation", "X: y\r\nTransfer-Encoding:\r\n chunked"],
  ["chunked listed twice", "Transfer-Encoding: chunked, chunked"],
  ["chunked in two fields", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"],
  ["chunked not last", "Transfer-Encoding: chunked, identity"],
  ["chunked not last, two fields", "Transfer-Encoding: chunked\r\nTransfer-Encoding: x"],
  ["empty list element", "Transfer-Encoding: ,"],
  ["empty value", "Transfer-Encoding:"],
].map(([name, field]) => ({
  name: `TE.TE: ${name}`,
  raw: POST(field + "\r\n", "0\r\n\r\n"),
  status: [400],
}));

const TE_UNKNOWN: Case[] = [
  ["quoted coding", 'Transfer-Encoding: "chunked"', [400, 501]],
  ["\\xff before coding", "Transfer-Encoding: \xffchunked", [400, 501]],
  // RFC 9112 §6.3: chunked must be the final coding, else 400.
  ["unknown coding in place of chunked", "Transfer-Encoding: xchunked", [400]],
  ["identity before chunked", "Transfer-Encoding: identity, chunked", [501]],
  ["gzip before chunked", "Transfer-Encoding: gzip, chunked", [501]],
].map(([name, field, status]) => ({
  name: `TE: ${name}`,
  raw: POST(`${field}\r\n`, "0\r\n\r\n"),
  status: status as number[],
}));

const CL_TE: Case[] = [
  {
    name: "CL.TE: Content-Length then chunked",
    raw: POST("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nG"),
    status: [400],
  },
  {
    name: "TE.CL: chunked then Content-Length",
    raw: POST("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "8\r\nSMUGGLED\r\n0\r\n\r\n"),
    status: [400],
  },
  {
    name: "CL.TE with an obfuscated TE (tab value)",
    raw: POST("Content-Length: 4\r\nTransfer-Encoding:\tchunked\r\n", "0\r\n\r\n"),
    status: [400],
  },
  {
    name: "TE on HTTP/1.0",
    raw: "POST / HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    status: [400],
  },
];

const CONTENT_LENGTH: Case[] = [
  ["plus sign", "+5"],
  ["minus sign", "-5"],
  ["decimal point", "5.0"],
  ["exponent", "5e0"],
  ["hex", "0x5"],
  ["empty", ""],
  ["different values in a list", "5, 6"],
  ["empty list element", "5,"],
  ["space inside", "5 5"],
  ["NUL inside", "5\x00"],
  ["above 2^53", "99999999999999999999999"],
].map(([name, value]) => ({
  name: `Content-Length: ${name}`,
  raw: POST(`Content-Length: ${value}\r\n`, "hello"),
  status: [400],
})).concat([
  {
    name: "Content-Length: two fields with different values",
    raw: POST("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"),
    status: [400],
  },
]);

const CHUNK_SIZES: Case[] = [
  ["size above 2^64", "1fffffffffffffffff\r\nx\r\n0\r\n\r\n"],
  ["size of 2^53", "20000000000000\r\nx\r\n0\r\n\r\n"],
  ["junk after size", "5x\r\nhello\r\n0\r\n\r\n"],
  ["space then junk", "5 x\r\nhello\r\n0\r\n\r\n"],
  ["bare LF after size", "5\nhello\r\n0\r\n\r\n"],
  ["bare LF after data", "5\r\nhello\n0\r\n\r\n"],
  ["data longer than size", "3\r\nhello\r\n0\r\n\r\n"],
  ["negative size", "-5\r\nhello\r\n0\r\n\r\n"],
  ["hex prefix", "0x5\r\nhello\r\n0\r\n\r\n"],
  ["empty size", "\r\nhello\r\n0\r\n\r\n"],
  ["plus sign", "+5\r\nhello\r\n0\r\n\r\n"],
  ["bare LF ending the last chunk", "0\n\n"],
].map(([name, body]) => ({
  name: `chunk: ${name}`,
  raw: POST("Transfer-Encoding: chunked\r\n", body),
  // A size past the body limit may be refused as too large rather than malformed.
  status: name.startsWith("size ") ? [400, 413] : [400],
}));

const FIELDS: Case[] = [
  ["NUL in a value", "X-A: a\x00b"],
  ["SOH in a value", "X-A: a\x01b"],
  ["DEL in a value", "X-A: a\x7fb"],
  ["ESC in a value", "X-A: \x1b[31m"],
  ["NUL in a name", "X\x00A: b"],
  ["space in a name", "X A: b"],
  ["empty name", ": b"],
  ["no colon", "X-A b"],
  ["obs-fold", "X-A: a\r\n b"],
  ["obs-fold with a tab", "X-A: a\r\n\tb"],
].map(([name, field]) => ({
  name: `field: ${name}`,
  raw: `GET / HTTP/1.1\r\nHost: h\r\n${field}\r\n\r\n`,
  status: [400],
}));

const LINES: Case[] = [
  { name: "line endings: bare LF", raw: "GET / HTTP/1.1\nHost: h\n\n", status: [400] },
  { name: "line endings: bare CR", raw: "GET / HTTP/1.1\rHost: h\r\r", status: [400] },
  {
    name: "line endings: LF in the request line",
    raw: "GET / HTTP/1.1\nHost: h\r\n\r\n",
    status: [400],
  },
  {
    name: "line endings: bare LF ending the head",
    raw: "GET / HTTP/1.1\r\nHost: h\r\n\n",
    status: [400],
  },
  {
    name: "line endings: CR inside the request line",
    raw: "GET /\r HTTP/1.1\r\nHost: h\r\n\r\n",
    status: [400],
  },
  { name: "request line: two spaces", raw: "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", status: [400] },
  { name: "request line: tab", raw: "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", status: [400] },
  {
    name: "request line: NUL in target",
    raw: "GET /\x00 HTTP/1.1\r\nHost: h\r\n\r\n",
    status: [400],
  },
  {
    name: "request line: trailing space",
    raw: "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
    status: [400],
  },
  {
    name: "request line: \\xff in method",
    raw: "G\xffT / HTTP/1.1\r\nHost: h\r\n\r\n",
    status: [400],
  },
  { name: "Host: missing", raw: "GET / HTTP/1.1\r\n\r\n", status: [400] },
  { name: "Host: twice", raw: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: [400] },
];

const TARGETS: Case[] = [
  ["asterisk-form with GET", "GET * HTTP/1.1"],
  ["asterisk-form with a path", "OPTIONS */x HTTP/1.1"],
  ["absolute-form with userinfo", "GET http://user@h/ HTTP/1.1"],
  ["absolute-form with another scheme", "GET ftp://h/ HTTP/1.1"],
  ["absolute-form without authority", "GET http:/x HTTP/1.1"],
  ["authority-form without CONNECT", "GET h:80 HTTP/1.1"],
  ["relative target", "GET x HTTP/1.1"],
].map(([name, line]) => ({
  name: `target: ${name}`,
  raw: `${line}\r\nHost: h\r\n\r\n`,
  status: [400],
}));

const VERSIONS: Case[] = [
  { name: "version: HTTP/0.9 simple request", raw: "GET /\r\n\r\n", status: [400] },
  { name: "version: HTTP/0.9 declared", raw: "GET / HTTP/0.9\r\nHost: h\r\n\r\n", status: [505] },
  { name: "version: HTTP/2.0", raw: "GET / HTTP/2.0\r\nHost: h\r\n\r\n", status: [505] },
  { name: "version: HTTP/3", raw: "GET / HTTP/3\r\nHost: h\r\n\r\n", status: [400] },
  { name: "version: HTTP/1.10", raw: "GET / HTTP/1.10\r\nHost: h\r\n\r\n", status: [400] },
  { name: "version: HTTP/01.1", raw: "GET / HTTP/01.1\r\nHost: h\r\n\r\n", status: [400] },
  { name: "version: lowercase", raw: "GET / http/1.1\r\nHost: h\r\n\r\n", status: [400] },
  { name: "version: missing", raw: "GET / \r\nHost: h\r\n\r\n", status: [400] },
  // The preface itself starts HTTP/2 (tests/http2/negotiate_test.ts); a request line like it does not.
  {
    name: "version: HTTP/2.0 request line",
    raw: "PRI * HTTP/2.0\r\nHost: h\r\n\r\n",
    status: [400, 505],
  },
];

const CASES: Case[] = [
  ...CL_TE,
  ...TE_TE,
  ...TE_UNKNOWN,
  ...CONTENT_LENGTH,
  ...CHUNK_SIZES,
  ...FIELDS,
  ...LINES,
  ...TARGETS,
  ...VERSIONS,
];

const bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

describe("request smuggling and malformed input, on a real socket", () => {
  let server: HttpServer;
  /** `METHOD path` of every request the app saw, and the body it read. */
  const seen: string[] = [];

  before(async () => {
    server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
      const path = new URL(request.url).pathname;
      seen.push(`${request.method} ${path}`);
      // An app that swallows a body error still cannot keep the connection going.
      const body = await request.text().catch(() => "(body failed)");
      return new Response(`${request.method} ${path} ${body.length}`);
    });
    await server.ready;
  });

  after(async () => {
    await server.close();
  });

  /** Sends `raw` then a valid request; returns the responses and what the app saw. */
  async function attack(raw: string, tail = ""): Promise<{ text: string; seen: string[] }> {
    const from = seen.length;
    const client = await connect({ host: "127.0.0.1", port: server.addr.port });
    try {
      await client.write(bytes(raw + FOLLOW_UP + tail));
      // The server must close by itself: our side stays open.
      await within(client.ended, 5000, "the server closing the connection");
      return { text: client.text(), seen: seen.slice(from) };
    } finally {
      client.destroy();
    }
  }

  it("serves a valid pipelined pair (the detector sees a second request)", async () => {
    const { text, seen } = await attack(
      POST("Content-Length: 5\r\n", "hello"),
      CLOSING,
    );
    const responses = parseResponses(text);
    assert.deepEqual(responses.map((r) => r.body), ["POST / 5", "GET /smuggled 0", "GET /x 0"]);
    assert.deepEqual(seen, ["POST /", "GET /smuggled", "GET /x"]);
  });

  it("refuses Content-Length with leading zeros, and reads nothing behind it", async () => {
    // "010" is ten bytes to hussar but eight to a parser that reads octal: no value two parsers
    // could frame differently is accepted.
    const { text, seen } = await attack(
      POST("Content-Length: 010\r\n", "0123456789"),
      CLOSING,
    );
    const responses = parseResponses(text);
    assert.deepEqual(responses.map((r) => r.status), [400]);
    assert.deepEqual(seen, []);
  });

  it("accepts identical repeated Content-Length values (RFC 9110 §8.6)", async () => {
    const { text } = await attack(
      POST("Content-Length: 5, 5\r\nContent-Length: 5\r\n", "hello"),
      CLOSING,
    );
    assert.deepEqual(parseResponses(text).map((r) => r.body), [
      "POST / 5",
      "GET /smuggled 0",
      "GET /x 0",
    ]);
  });

  it("serves absolute-form and OPTIONS * (RFC 9112 §3.2), and nothing more", async () => {
    const { text, seen } = await attack(
      "GET http://h/abs HTTP/1.1\r\nHost: h\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
      CLOSING,
    );
    assert.deepEqual(parseResponses(text).map((r) => r.status), [200, 200, 200, 200]);
    assert.deepEqual(seen, ["GET /abs", "OPTIONS /*", "GET /smuggled", "GET /x"]);
  });

  for (const testCase of CASES) {
    it(`refuses ${testCase.name}`, async () => {
      const { text, seen } = await attack(testCase.raw);
      const responses = parseResponses(text);
      assert.equal(responses.length, 1, `one response only, got:\n${text}`);
      const [response] = responses;
      assert.ok(
        testCase.status.includes(response.status),
        `status ${response.status} (${response.body.trim()}), expected ${testCase.status}`,
      );
      assert.equal(header(response, "connection"), "close");
      assert.ok(response.body.length > 0, "the refusal says why");
      // A head refused before the app ran, or a body refused while it read: never a second request.
      assert.ok(!seen.includes("GET /smuggled"), `the follow-up was served: ${seen}`);
      assert.ok(!text.includes("smuggled"), "nothing of the follow-up was answered");
    });
  }

  it("leaves no connection behind", async () => {
    await until(() => server.hussar.connectionCount === 0, 5000, "every connection dropped");
    assert.equal(server.hussar.connectionCount, 0);
  });
});
