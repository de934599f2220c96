import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  ErrorCode,
  HeaderListTooLargeError,
  Http2Error,
  validateRequestHeaders,
  validateTrailers,
} from "../../http2/mod.ts";

const GET = [":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/"];

/** Asserts a malformed request: a stream error of type PROTOCOL_ERROR with `status` and `reason`. */
function malformed(fields: string[], reason: RegExp, status = 400): void {
  assert.throws(() => validateRequestHeaders(fields), (error: unknown) => {
    assert.ok(error instanceof Http2Error, String(error));
    assert.equal(error.code, ErrorCode.PROTOCOL_ERROR);
    assert.equal(error.scope, "stream");
    assert.equal(error.status, status);
    assert.match(error.message, reason);
    return true;
  });
}

describe("validateRequestHeaders: what a handler gets (RFC 9113 §8.3)", () => {
  it("gives method, target and fields as the HTTP/1.1 engine does, with Host from :authority", () => {
    const head = validateRequestHeaders([
      ...GET.slice(0, 6),
      ":path",
      "/search?q=h2",
      "accept",
      "text/html",
      "user-agent",
      "test",
    ]);
    assert.equal(head.method, "GET");
    assert.equal(head.scheme, "https");
    assert.equal(head.authority, "example.com");
    assert.equal(head.path, "/search?q=h2");
    assert.equal(head.target, "/search?q=h2");
    assert.equal(head.contentLength, null);
    assert.deepEqual([...head.headers], [
      ["accept", "text/html"],
      ["user-agent", "test"],
      ["host", "example.com"],
    ]);
  });

  it("takes the authority from Host when :authority is absent, and accepts both when equal", () => {
    const fromHost = validateRequestHeaders([
      ":method",
      "GET",
      ":scheme",
      "http",
      ":path",
      "/",
      "host",
      "a.test:8080",
    ]);
    assert.equal(fromHost.authority, "a.test:8080");
    assert.deepEqual([...fromHost.headers], [["host", "a.test:8080"]]);
    const both = validateRequestHeaders([...GET, "host", "EXAMPLE.com"]);
    assert.deepEqual(both.headers.getAll("host"), ["EXAMPLE.com"]);
  });

  it('joins cookie crumbs with "; " (§8.2.3)', () => {
    const head = validateRequestHeaders([
      ...GET,
      "cookie",
      "a=1",
      "accept",
      "*/*",
      "cookie",
      "b=2",
    ]);
    assert.equal(head.headers.get("cookie"), "a=1; b=2");
  });

  it("reads Content-Length, repeated only with the same value", () => {
    assert.equal(validateRequestHeaders([...GET, "content-length", "42"]).contentLength, 42);
    const twice = [...GET, "content-length", "7", "content-length", "7"];
    assert.equal(validateRequestHeaders(twice).contentLength, 7);
    malformed([...GET, "content-length", "7", "content-length", "8"], /conflicting content-length/);
    for (const bad of ["", "-1", "1.5", "0x10", " 5", "5 ", "1,1", "9999999999999999"]) {
      malformed([...GET, "content-length", bad], /content-length/);
    }
  });

  it("accepts CONNECT with :authority only, and OPTIONS with * (§8.5, §8.3.1)", () => {
    const connect = validateRequestHeaders([":method", "CONNECT", ":authority", "a.test:443"]);
    assert.equal(connect.target, "a.test:443");
    assert.equal(connect.scheme, null);
    assert.equal(connect.path, null);
    const options = validateRequestHeaders([
      ":method",
      "OPTIONS",
      ":scheme",
      "http",
      ":authority",
      "a",
      ":path",
      "*",
    ]);
    assert.equal(options.target, "*");
  });

  it("accepts te: trailers", () => {
    assert.equal(validateRequestHeaders([...GET, "te", "trailers"]).headers.get("te"), "trailers");
  });
});

describe("validateRequestHeaders: malformed requests are stream errors (RFC 9113 §8.1.1)", () => {
  it("pseudo-headers: unknown, duplicated, after a regular field, response-only", () => {
    malformed([...GET, ":protocol", "websocket"], /after a regular field|unknown/);
    malformed([":protocol", "websocket", ...GET], /unknown pseudo-header/);
    malformed([":status", "200", ...GET], /unknown pseudo-header/);
    malformed([...GET, ":method", "POST"], /after a regular field|duplicate/);
    malformed([":method", "GET", ...GET], /duplicate :method/);
    malformed([":path", "/", ...GET], /duplicate :path/);
    malformed([":scheme", "http", ...GET], /duplicate :scheme/);
    malformed([":authority", "a", ...GET], /duplicate :authority/);
    malformed([":method", "GET", "accept", "*/*", ":path", "/"], /:path after a regular field/);
  });

  it("pseudo-headers: missing or empty :method, :scheme, :path", () => {
    malformed(GET.slice(2), /missing :method/);
    malformed([":method", "GET", ":authority", "a", ":path", "/"], /missing :scheme/);
    malformed(GET.slice(0, 6), /missing :path/);
    malformed([...GET.slice(0, 6), ":path", ""], /missing :path/);
    malformed([":method", "", ":scheme", "http", ":path", "/"], /invalid :method/);
    malformed([":method", "GE T", ":scheme", "http", ":path", "/"], /invalid :method/);
  });

  it(":path in origin-form, * only for OPTIONS, visible ASCII only", () => {
    malformed([...GET.slice(0, 6), ":path", "*"], /asterisk-form/);
    malformed([...GET.slice(0, 6), ":path", "a/b"], /invalid :path/);
    malformed([...GET.slice(0, 6), ":path", "http://a/"], /invalid :path/);
    malformed([...GET.slice(0, 6), ":path", "/a b"], /invalid/);
    malformed([...GET.slice(0, 6), ":path", "/\u00e9"], /invalid :path/);
  });

  it(":path longer than maxUriLength is a 414", () => {
    malformed([...GET.slice(0, 6), ":path", "/" + "a".repeat(8192)], /too long/, 414);
    const head = validateRequestHeaders([...GET.slice(0, 6), ":path", "/abc"], { maxUriLength: 4 });
    assert.equal(head.path, "/abc");
  });

  it(":scheme other than http or https, CONNECT with :scheme or :path or without :authority", () => {
    malformed([":method", "GET", ":scheme", "ftp", ":authority", "a", ":path", "/"], /scheme/);
    malformed([":method", "CONNECT", ":authority", "a:1", ":path", "/"], /CONNECT with/);
    malformed([":method", "CONNECT", ":authority", "a:1", ":scheme", "https"], /CONNECT with/);
    malformed([":method", "CONNECT"], /CONNECT without :authority/);
  });

  it("authority: missing, with userinfo, Host differing from :authority, Host twice", () => {
    malformed([":method", "GET", ":scheme", "http", ":path", "/"], /missing :authority/);
    assert.equal(
      validateRequestHeaders([":method", "GET", ":scheme", "http", ":path", "/"], {
        requireHost: false,
      }).authority,
      null,
    );
    malformed(
      [":method", "GET", ":scheme", "http", ":authority", "u@a", ":path", "/"],
      /authority/,
    );
    malformed([":method", "GET", ":scheme", "http", ":authority", "", ":path", "/"], /authority/);
    malformed([...GET, "host", "other.test"], /host differs/);
    malformed([...GET, "host", "example.com", "host", "example.com"], /multiple host/);
  });

  it("field names: uppercase, not a token, empty", () => {
    malformed([...GET, "Accept", "*/*"], /uppercase/);
    malformed([...GET, "x y", "1"], /invalid field name/);
    malformed([...GET, "x:y", "1"], /invalid field name/);
    malformed([...GET, "", "1"], /invalid field name/);
  });

  it("field values: CR, LF, NUL, other controls, surrounding whitespace, in fields and pseudo-fields", () => {
    for (const bad of ["a\rb", "a\nb", "a\0b", "a\x01", " a", "a ", "a\t", "\u0100"]) {
      malformed([...GET, "x-v", bad], /invalid value/);
    }
    malformed(
      [":method", "GET", ":scheme", "http", ":authority", "a", ":path", "/ "],
      /invalid value/,
    );
    assert.equal(
      validateRequestHeaders([...GET, "x-v", "a \t b\u00ff"]).headers.get("x-v"),
      "a \t b\u00ff",
    );
    assert.equal(validateRequestHeaders([...GET, "x-v", ""]).headers.get("x-v"), "");
  });

  it("connection-specific fields, and te other than trailers (§8.2.2)", () => {
    for (
      const name of ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]
    ) {
      malformed([...GET, name, "x"], /connection-specific/);
    }
    malformed([...GET, "te", "gzip"], /te other than trailers/);
    malformed([...GET, "te", "trailers, gzip"], /te other than trailers/);
  });

  it("more regular fields than maxHeaderCount is a 431", () => {
    const fields = [...GET];
    for (let i = 0; i < 101; i++) fields.push(`x-${i}`, "1");
    assert.throws(() => validateRequestHeaders(fields), (error: unknown) => {
      assert.ok(error instanceof HeaderListTooLargeError);
      assert.equal(error.status, 431);
      return true;
    });
    assert.equal(validateRequestHeaders(fields, { maxHeaderCount: 101 }).headers.size, 102);
  });
});

describe("validateTrailers (RFC 9113 §8.1)", () => {
  it("accepts regular fields", () => {
    assert.deepEqual([...validateTrailers(["x-checksum", "abc", "grpc-status", "0"])], [
      ["x-checksum", "abc"],
      ["grpc-status", "0"],
    ]);
  });

  it("refuses pseudo-headers, connection-specific fields, bad names and values", () => {
    const cases: [string[], RegExp][] = [
      [[":status", "200"], /pseudo-header :status in trailers/],
      [["x", "1", ":path", "/"], /pseudo-header/],
      [["transfer-encoding", "chunked"], /connection-specific/],
      [["X-Upper", "1"], /uppercase/],
      [["x", "a\r\nb"], /invalid value/],
      [["te", "gzip"], /te other than trailers/],
    ];
    for (const [fields, reason] of cases) {
      assert.throws(() => validateTrailers(fields), (error: unknown) => {
        assert.ok(error instanceof Http2Error);
        assert.equal(error.code, ErrorCode.PROTOCOL_ERROR);
        assert.equal(error.scope, "stream");
        assert.match(error.message, reason);
        return true;
      }, JSON.stringify(fields));
    }
  });
});
