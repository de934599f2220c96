import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { parseRequestHead, type RequestHead } from "../../httputil/parse.ts";
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from "../../httputil/limits.ts";
import { HttpError } from "../../httputil/errors.ts";
import { KEEP_HEAD, type KeepingOptions, KeptHead } from "../../httputil/_repeated_head.ts";

/** Latin1 bytes of `s`: one byte per char, so tests can write any byte. */
function bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function parse(s: string, limits?: ParseLimits, options?: KeepingOptions): RequestHead | null {
  return parseRequestHead(bytes(s), limits, options);
}

function head(s: string, limits?: ParseLimits, options?: KeepingOptions): RequestHead {
  const result = parse(s, limits, options);
  assert.ok(result !== null, `expected a complete head for ${JSON.stringify(s)}`);
  return result;
}

function rejects(
  s: string,
  status: number,
  limits?: ParseLimits,
  options?: KeepingOptions,
): HttpError {
  const shown = JSON.stringify(s.length > 80 ? s.slice(0, 80) + "..." : s);
  let caught: unknown = null;
  try {
    parse(s, limits, options);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof HttpError, `expected HttpError ${status} for ${shown}`);
  assert.equal(caught.status, status, `${shown}: ${caught.message}`);
  assert.match(caught.message, /^[a-z0-9 /.,:;()'-]+$/, "reason is short and lowercase");
  return caught;
}

/** A valid HTTP/1.1 request with `lines` as its field lines (Host first). */
function req(...lines: string[]): string {
  return `GET / HTTP/1.1\r\nHost: a\r\n${lines.map((l) => l + "\r\n").join("")}\r\n`;
}

/**
 * Asserts the error is raised exactly when the byte at `at` arrives: every
 * shorter prefix is incomplete (null), and every longer one throws `status`.
 */
function failsAtByte(s: string, at: number, status: number): void {
  for (let n = 0; n <= at; n++) {
    assert.equal(parse(s.slice(0, n)), null, `prefix of ${n} bytes should be incomplete`);
  }
  for (const n of [at + 1, s.length]) rejects(s.slice(0, n), status);
}

describe("parseRequestHead: request line (RFC 9112 §3)", () => {
  it("parses method, target, version, headers and the head length", () => {
    const raw = "POST /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nX-Empty:\r\n\r\nBODY";
    const h = head(raw);
    assert.equal(h.method, "POST");
    assert.equal(h.target, "/a/b?c=d");
    assert.equal(h.version, "1.1");
    assert.deepEqual([...h.headers], [["Host", "example.com"], ["X-Empty", ""]]);
    assert.equal(h.headLength, raw.length - 4);
    assert.deepEqual(h.framing, { kind: "none" });
    assert.equal(h.expect, null);
  });

  it("returns null for every prefix of a valid head, and the head once complete", () => {
    const raw = "\r\nGET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nX:  y \r\n\r\n";
    for (let n = 0; n < raw.length; n++) assert.equal(parse(raw.slice(0, n)), null, `${n}`);
    assert.equal(head(raw).headLength, raw.length);
    assert.equal(head(raw + "ab").headLength, raw.length);
  });

  it("skips leading empty lines and counts them in headLength", () => {
    const h = head("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert.equal(h.headLength, 4 + 27);
    assert.equal(parse("\r\n\r\n"), null);
  });

  it("rejects a bare LF or bare CR among leading empty lines (400)", () => {
    rejects("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    rejects("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  });

  it("counts leading empty lines against maxHeadBytes (431)", () => {
    const limits = { ...DEFAULT_PARSE_LIMITS, maxHeadBytes: 64 };
    rejects("\r\n".repeat(40), 431, limits);
  });

  it("accepts any token as method, case preserved", () => {
    assert.equal(head("M-SEARCH / HTTP/1.1\r\nHost: a\r\n\r\n").method, "M-SEARCH");
    assert.equal(head("get / HTTP/1.1\r\nHost: a\r\n\r\n").method, "get");
  });

  it("rejects a method that is not a token or is empty (400)", () => {
    rejects("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    rejects(" / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    rejects("GÉT / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  });

  it("requires exactly one SP between the parts (400)", () => {
    rejects("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    rejects("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    rejects("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    rejects("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400);
  });

  it("rejects controls, DEL and non-ASCII bytes in the request-target (400)", () => {
    for (const bad of ["/a\x01b", "/a\x7f", "/\xce\xb4", "/a\tb"]) {
      rejects(`GET ${bad} HTTP/1.1\r\nHost: a\r\n\r\n`, 400);
    }
  });

  it("rejects a request without a version: no HTTP/0.9 (400)", () => {
    rejects("GET /\r\n\r\n", 400);
    rejects("GET /\n", 400);
  });

  it("accepts HTTP/1.0 and HTTP/1.1 only; any other HTTP/d.d is 505", () => {
    assert.equal(head("GET / HTTP/1.0\r\n\r\n").version, "1.0");
    for (const v of ["2.0", "1.2", "0.9", "3.0", "5.6"]) {
      rejects(`GET / HTTP/${v}\r\nHost: a\r\n\r\n`, 505);
    }
  });

  it("answers 505 as soon as the version is read, before its CRLF", () => {
    rejects("GET / HTTP/2.0", 505);
  });

  it("rejects a version that is not HTTP/DIGIT.DIGIT (400)", () => {
    for (
      const v of ["http/1.1", "HTTP/11", "HTTP/1.1.1", "HTTP/1.x", "HTTP/1", "RTSP/1.0", "ICE/1.0"]
    ) {
      rejects(`GET / ${v}\r\nHost: a\r\n\r\n`, 400);
    }
  });
});

describe("parseRequestHead: request-target forms (RFC 9112 §3.2)", () => {
  it("accepts origin-form", () => {
    assert.equal(head("GET /a?b#c HTTP/1.1\r\nHost: a\r\n\r\n").target, "/a?b#c");
  });

  it("accepts http(s) absolute-form (Host is still required for HTTP/1.1)", () => {
    for (const t of ["http://h/p", "http://h:8080?q", "HTTPS://h.example", "http://[::1]:80/"]) {
      assert.equal(head(`GET ${t} HTTP/1.1\r\nHost: a\r\n\r\n`).target, t);
    }
    rejects("GET http://h/p HTTP/1.1\r\n\r\n", 400);
  });

  it("rejects absolute-form with another scheme (400)", () => {
    for (const t of ["urn:x", "ftp://h/", "ws://h/", "a.b:443"]) {
      rejects(`GET ${t} HTTP/1.1\r\nHost: a\r\n\r\n`, 400);
    }
  });

  it("rejects an http(s) absolute-form with an empty host or userinfo (400)", () => {
    for (const t of ["http:///p", "http://", "https://u:p@h/", "http:/h/", "1http://h/"]) {
      rejects(`GET ${t} HTTP/1.1\r\nHost: a\r\n\r\n`, 400);
    }
  });

  it("accepts asterisk-form only with OPTIONS (400 otherwise)", () => {
    assert.equal(head("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").target, "*");
    rejects("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    rejects("PRI * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    rejects("OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  });

  it("accepts authority-form only with CONNECT, and CONNECT only with it (400)", () => {
    const h = head("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    assert.equal(h.target, "example.com:443");
    rejects("GET example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    rejects("CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    rejects("CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  });
});

describe("parseRequestHead: line endings (RFC 9112 §2.2)", () => {
  it("rejects a bare LF anywhere in the head (400)", () => {
    rejects("GET / HTTP/1.1\nHost: a\r\n\r\n", 400);
    rejects("GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400);
    rejects("GET / HTTP/1.1\r\nHost: a\r\n\n", 400);
  });

  it("rejects a bare CR anywhere in the head (400)", () => {
    rejects("GET / HTTP/1.1\rHost: a\r\n\r\n", 400);
    rejects("GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400);
    rejects("GET / HTTP/1.1\r\nHost: a\r\n\rX", 400);
    rejects("GET / HTTP/1.1\r\nX: a\rb\r\nHost: a\r\n\r\n", 400);
  });
});

describe("parseRequestHead: field lines (RFC 9112 §5)", () => {
  it("trims OWS around values and keeps inner whitespace", () => {
    const h = head(req("A:  x \t", "B:\ty  z\t", "C:", "D: \t "));
    assert.deepEqual([...h.headers].slice(1), [["A", "x"], ["B", "y  z"], ["C", ""], ["D", ""]]);
  });

  it("keeps obs-text bytes, decoded as latin1 so no byte is lost", () => {
    const h = head(req("Test: D\xc3\xbcsseldorf \xff"));
    assert.equal(h.headers.get("test"), "D\u00c3\u00bcsseldorf \u00ff");
  });

  it("reads the same head the same way every time, whatever came between", () => {
    // Heads a client sends again are read from the strings of the last ones: each string must
    // still be these bytes, however alike the ones before were (same length, same first,
    // middle and last byte), short or long, ASCII or obs-text, name or value.
    const values = [
      "localhost:8080",
      "localhost:8180",
      "lXcXlXoXt:8X8X",
      "D\xfcsseldorf-D\xfcsseldorf",
      "D\xfcsseldorf-Dxsseldorf",
      "a",
      "b",
      "x".repeat(64),
      "x".repeat(31) + "y" + "x".repeat(32),
      "z".repeat(65),
    ];
    for (let round = 0; round < 3; round++) {
      for (const value of values) {
        for (const name of ["X-Thing", "x-thing", "X-THING", "X-Thang"]) {
          const target = "/" + value.replace(/[^\x21-\x7e]/g, "%");
          const h = head(`GET ${target} HTTP/1.1\r\nHost: a\r\n${name}: ${value}\r\n\r\n`);
          assert.equal(h.method, "GET");
          assert.equal(h.target, target);
          assert.deepEqual([...h.headers], [["Host", "a"], [name, value]]);
          assert.equal(h.headers.get(name.toLowerCase()), value);
          assert.equal(h.headers.has(name === "X-Thang" ? "x-thing" : "x-thang"), false);
        }
      }
    }
  });

  it("rejects whitespace between the field name and the colon (400)", () => {
    rejects(req("Content-Length : 4"), 400);
    rejects(req("X\t: 4"), 400);
  });

  it("rejects a field name that is not a token, empty, or without colon (400)", () => {
    for (const bad of ["Fo@: x", "Fo o: x", ": x", "name", "Foo\x01: x", "N\xe9: x"]) {
      rejects(req(bad), 400);
    }
  });

  it("rejects obs-fold and whitespace before the first field (400)", () => {
    rejects(req("X: a", " folded"), 400);
    rejects(req("X: a", "\tfolded"), 400);
    rejects("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400);
  });

  it("rejects NUL, DEL and controls other than HTAB in values (400)", () => {
    for (const bad of ["\x00", "\x01", "\x0b", "\x0c", "\x1f", "\x7f"]) {
      rejects(req(`X: a${bad}b`), 400);
    }
    assert.equal(head(req("X: a\tb")).headers.get("x"), "a\tb");
  });

  it("throws at the first invalid byte, not at the end of the head", () => {
    const s = "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n";
    failsAtByte(s, s.indexOf("\x01"), 400);
    const t = "GET / HTTP/1.1\r\nHost: a\r\nX : y\r\n\r\n";
    failsAtByte(t, t.indexOf(" :"), 400);
  });
});

describe("parseRequestHead: Host (RFC 9112 §3.2, RFC 9110 §7.2)", () => {
  it("requires Host in HTTP/1.1 (400), unless requireHost is false", () => {
    rejects("GET / HTTP/1.1\r\n\r\n", 400);
    assert.equal(head("GET / HTTP/1.1\r\n\r\n", undefined, { requireHost: false }).method, "GET");
  });

  it("does not require Host in HTTP/1.0", () => {
    assert.equal(head("GET / HTTP/1.0\r\n\r\n").headers.size, 0);
  });

  it("rejects more than one Host (400), as soon as the second arrives", () => {
    rejects(req("Host: a"), 400);
    rejects("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n", 400);
  });

  it("accepts a syntactically valid host and port", () => {
    for (
      const v of ["example.com", "example.com:8080", "[::1]:80", "[v1.x]", "0.0.0.0=5000", "%41b"]
    ) {
      assert.equal(head(`GET / HTTP/1.1\r\nHost: ${v}\r\n\r\n`).headers.get("host"), v);
    }
  });

  it("rejects an invalid host value (400)", () => {
    for (const v of ["a b", "a/b", "u@h", "h:p", ":80", "[::1", "[]", "h:80:90", "%4", "h\xe9"]) {
      rejects(`GET / HTTP/1.1\r\nHost: ${v}\r\n\r\n`, 400);
    }
  });

  it("rejects an empty Host: an http target URI needs a host (RFC 9112 §3.3) (400)", () => {
    rejects("GET / HTTP/1.1\r\nHost:\r\n\r\n", 400);
    rejects("GET / HTTP/1.0\r\nHost: \r\n\r\n", 400);
  });
});

describe("parseRequestHead: Content-Length (RFC 9112 §6.3, RFC 9110 §8.6)", () => {
  it("frames the body by length", () => {
    assert.deepEqual(head(req("Content-Length: 42")).framing, { kind: "length", length: 42 });
    assert.deepEqual(head(req("Content-Length: 0")).framing, { kind: "length", length: 0 });
  });

  it("refuses leading zeros (400): a parser reading them as octal would frame another body", () => {
    for (const v of ["003", "00", "010", "5, 05"]) rejects(req(`Content-Length: ${v}`), 400);
  });

  it("accepts up to Number.MAX_SAFE_INTEGER, and rejects more (400)", () => {
    const max = String(Number.MAX_SAFE_INTEGER);
    assert.deepEqual(head(req(`Content-Length: ${max}`)).framing, {
      kind: "length",
      length: Number.MAX_SAFE_INTEGER,
    });
    rejects(req("Content-Length: 9007199254740992"), 400);
    rejects("PUT / HTTP/1.1\r\nContent-Length: 1000000000000000000000\r\n", 400);
  });

  it("rejects anything but 1*DIGIT (400)", () => {
    for (const v of ["+1", "-1", "1 2", "0x10", "1.0", "1e3", "", "1a", "\xb9", "1,", ", 1"]) {
      rejects(req(`Content-Length: ${v}`), 400);
    }
  });

  it("accepts repeated values only when identical, by field or by list", () => {
    assert.deepEqual(head(req("Content-Length: 5", "Content-Length: 5")).framing, {
      kind: "length",
      length: 5,
    });
    assert.deepEqual(head(req("Content-Length: 5 ,5")).framing, { kind: "length", length: 5 });
  });

  it("rejects differing values (400), as soon as the second arrives", () => {
    rejects(req("Content-Length: 5", "Content-Length: 6"), 400);
    rejects(req("Content-Length: 5, 6"), 400);
    rejects(req("Content-Length: 5", "Content-Length: 05"), 400);
    rejects("PUT / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n", 400);
  });
});

describe("parseRequestHead: Transfer-Encoding (RFC 9112 §6.1, §6.3)", () => {
  it("frames a chunked body, coding names case-insensitive, OWS trimmed", () => {
    for (const v of ["chunked", "Chunked", "CHUNKED \t", " chunked", "chunked,", ", chunked"]) {
      assert.deepEqual(head(req(`Transfer-Encoding: ${v}`)).framing, { kind: "chunked" }, v);
    }
  });

  it("rejects Transfer-Encoding in HTTP/1.0 (400)", () => {
    rejects("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
  });

  it("rejects Transfer-Encoding together with Content-Length, in either order (400)", () => {
    rejects(req("Transfer-Encoding: chunked", "Content-Length: 1"), 400);
    rejects(req("Content-Length: 1", "Transfer-Encoding: chunked"), 400);
    rejects(req("Content-Length: 1", "Transfer-Encoding:"), 400);
  });

  it("requires chunked once and last (400)", () => {
    for (
      const lines of [
        ["Transfer-Encoding: chunked, gzip"],
        ["Transfer-Encoding: chunked", "Transfer-Encoding: gzip"],
        ["Transfer-Encoding: chunked, chunked"],
        ["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"],
        ["Transfer-Encoding: gzip"],
        ["Transfer-Encoding: identity"],
        ["Transfer-Encoding:"],
        ["Transfer-Encoding: chunkedchunked"],
      ]
    ) {
      rejects(req(...lines), 400);
    }
  });

  it("answers 501 for any other coding before chunked", () => {
    rejects(req("Transfer-Encoding: gzip, chunked"), 501);
    rejects(req("Transfer-Encoding: deflate", "Transfer-Encoding: chunked"), 501);
  });

  it("rejects obfuscated chunked values rather than normalising them (400)", () => {
    for (
      const v of ['"chunked"', "chunked\x0b", "chunked\xff", "chunked;q=1", "x chunked", "chun ked"]
    ) {
      rejects(req(`Transfer-Encoding: ${v}`), 400);
    }
  });
});

describe("parseRequestHead: keepAlive (RFC 9112 §9.3)", () => {
  it("keeps HTTP/1.1 alive unless a close option is present", () => {
    assert.equal(head(req()).keepAlive, true);
    assert.equal(head(req("Connection: keep-alive")).keepAlive, true);
    assert.equal(head(req("Connection: close")).keepAlive, false);
    assert.equal(head(req("Connection: Upgrade, CLOSE")).keepAlive, false);
    assert.equal(head(req("Connection: upgrade", "Connection: close")).keepAlive, false);
    assert.equal(head(req("Connection: closed")).keepAlive, true);
  });

  it("keeps HTTP/1.0 alive only with a keep-alive option", () => {
    assert.equal(head("GET / HTTP/1.0\r\n\r\n").keepAlive, false);
    assert.equal(head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keepAlive, true);
    assert.equal(head("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").keepAlive, false);
  });

  it("rejects a Connection option that is not a token (400)", () => {
    rejects(req("Connection: keep alive"), 400);
    rejects(req('Connection: "close"'), 400);
  });

  it("parses upgrade requests like any other", () => {
    const h = head(req("Connection: Upgrade", "Upgrade: websocket"));
    assert.equal(h.headers.get("upgrade"), "websocket");
    assert.equal(h.keepAlive, true);
  });
});

describe("parseRequestHead: Expect (RFC 9110 §10.1.1)", () => {
  it("reports 100-continue, case-insensitively", () => {
    assert.equal(head(req("Expect: 100-continue")).expect, "100-continue");
    assert.equal(head(req("Expect: 100-Continue")).expect, "100-continue");
  });

  it("answers 417 for any other expectation", () => {
    rejects(req("Expect: 200-ok"), 417);
    rejects(req("Expect: 100-continue, x"), 417);
    rejects(req("Expect: 100-continue;a=b"), 417);
  });

  it("ignores 100-continue in HTTP/1.0", () => {
    assert.equal(head("GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expect, null);
  });
});

describe("parseRequestHead: limits", () => {
  it("uses 16 KiB of head, 100 fields and 8 KiB of target by default", () => {
    assert.deepEqual({ ...DEFAULT_PARSE_LIMITS }, {
      maxHeadBytes: 16384,
      maxHeaderCount: 100,
      maxUriLength: 8192,
    });
  });

  it("accepts a target of maxUriLength bytes", () => {
    const target = "/" + "a".repeat(8191);
    assert.equal(head(`GET ${target} HTTP/1.1\r\nHost: a\r\n\r\n`).target, target);
  });

  it("answers 414 as soon as the target exceeds maxUriLength, without its SP", () => {
    rejects("GET /" + "a".repeat(8192), 414);
    assert.equal(parse("GET /" + "a".repeat(8191)), null);
    const limits = { ...DEFAULT_PARSE_LIMITS, maxUriLength: 10 };
    rejects("GET /0123456789", 414, limits);
    assert.equal(head("GET /012345678 HTTP/1.1\r\nHost: a\r\n\r\n", limits).target, "/012345678");
  });

  it("answers 431 as soon as the head exceeds maxHeadBytes without its end", () => {
    const limits = { ...DEFAULT_PARSE_LIMITS, maxHeadBytes: 64 };
    const start = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
    assert.equal(parse(start + "a".repeat(64 - start.length), limits), null);
    rejects(start + "a".repeat(65 - start.length), 431, limits);
    rejects(start + "a".repeat(20000), 431);
  });

  it("accepts a head of exactly maxHeadBytes, even with bytes after it", () => {
    const raw = req("X: " + "a".repeat(30));
    const limits = { ...DEFAULT_PARSE_LIMITS, maxHeadBytes: raw.length };
    assert.equal(head(raw + "more", limits).headLength, raw.length);
    rejects(raw.slice(0, -2) + "Y: b\r\n\r\n", 431, limits);
  });

  it("answers 431 for more than maxHeaderCount fields, before the head ends", () => {
    const limits = { ...DEFAULT_PARSE_LIMITS, maxHeaderCount: 3 };
    assert.equal(head(req("A: 1", "B: 2"), limits).headers.size, 3);
    rejects("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC", 431, limits);
    const many = Array.from({ length: 100 }, (_, i) => `X-${i}: v`);
    rejects(req(...many), 431);
    assert.equal(head(req(...many.slice(1))).headers.size, 100);
  });
});

describe("parseRequestHead: a head sent again on one connection", () => {
  // A head byte for byte the connection's last one kept is compared instead of scanned
  // (`_repeated_head.ts`): each case sends a head three times first, so that it is kept.
  const sent = "GET /a HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n";
  const connection = (): KeepingOptions => ({ [KEEP_HEAD]: new KeptHead() });
  const keep = (raw: string, options: KeepingOptions, limits?: ParseLimits) => {
    for (let i = 0; i < 3; i++) head(raw, limits, options);
  };

  it("keeps a head the second time running, for its own connection only", () => {
    const own = new KeptHead();
    const options = { [KEEP_HEAD]: own };
    head(sent, undefined, options);
    assert.equal(own.match(bytes(sent), DEFAULT_PARSE_LIMITS, true), null, "kept after one head");
    head(sent, undefined, options);
    const again = own.match(bytes(sent), DEFAULT_PARSE_LIMITS, true);
    assert.equal(again?.target, "/a");
    const other = new KeptHead();
    head(sent, undefined, { [KEEP_HEAD]: other });
    assert.equal(other.match(bytes(sent), DEFAULT_PARSE_LIMITS, true), null);
    // Another head (of another length: one like the kept one would replace it) is parsed, and the
    // kept one stays.
    assert.equal(head(sent.replace("/a", "/bb"), undefined, options).target, "/bb");
    assert.equal(own.match(bytes(sent), DEFAULT_PARSE_LIMITS, true)?.target, "/a");
  });

  it("reads it as the first time, with a body or the next request after it", () => {
    const options = connection();
    keep(sent, options);
    const again = head(sent + "GET /b HTTP/1.1\r\n", undefined, options);
    assert.equal(again.method, "GET");
    assert.equal(again.target, "/a");
    assert.equal(again.version, "1.1");
    assert.equal(again.headLength, sent.length);
    assert.equal(again.keepAlive, true);
    assert.deepEqual(again.framing, { kind: "none" });
    assert.deepEqual([...again.headers], [
      ["Host", "localhost:8080"],
      ["User-Agent", "wrk"],
      ["Accept", "*/*"],
    ]);
    assert.equal(parse(sent.slice(0, -1), undefined, options), null);
  });

  it("reads a head that differs by one byte anywhere as itself", () => {
    const options = connection();
    for (let at = 0; at < sent.length; at++) {
      keep(sent, options);
      const code = sent.charCodeAt(at);
      // A letter changes case, anything else becomes a letter: every change is still a head or an error.
      const other = code >= 0x41 && code <= 0x7a ? code ^ 0x20 : 0x41;
      const changed = sent.slice(0, at) + String.fromCharCode(other) + sent.slice(at + 1);
      keep(sent, options);
      let expected: unknown;
      let got: unknown;
      try {
        expected = parseRequestHead(bytes(changed), { ...DEFAULT_PARSE_LIMITS });
      } catch (error) {
        expected = error;
      }
      try {
        got = parse(changed, undefined, options);
      } catch (error) {
        got = error;
      }
      assert.deepEqual(got, expected, `byte ${at} changed: ${JSON.stringify(changed)}`);
    }
  });

  it("checks it again under other limits, or another Host rule", () => {
    const options = connection();
    keep(sent, options);
    const strict = { ...DEFAULT_PARSE_LIMITS, maxHeaderCount: 2 };
    rejects(sent, 431, strict, options);
    // The same limits object, changed in place after the head was kept under it.
    const changing = { ...DEFAULT_PARSE_LIMITS };
    keep(sent, options, changing);
    changing.maxUriLength = 1;
    rejects(sent, 414, changing, options);
    const hostless = "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n";
    const lenient = { ...options, requireHost: false };
    keep(hostless, lenient);
    rejects(hostless, 400, DEFAULT_PARSE_LIMITS, options);
    assert.equal(head(hostless, DEFAULT_PARSE_LIMITS, lenient).target, "/");
  });

  it("gives each head fields of its own: an app's edits do not reach the next", () => {
    const options = connection();
    keep(sent, options);
    const first = head(sent, undefined, options);
    first.headers.set("host", "elsewhere");
    first.headers.append("x-added", "1");
    first.method = "POST";
    const next = head(sent, undefined, options);
    assert.equal(next.method, "GET");
    assert.equal(next.headers.get("host"), "localhost:8080");
    assert.equal(next.headers.has("x-added"), false);
    assert.notEqual(next.headers, first.headers);
    assert.equal(next.headers.delete("accept"), true);
    assert.equal(next.headers.delete("accept"), false);
    assert.deepEqual([...head(sent, undefined, options).headers].map(([name]) => name), [
      "Host",
      "User-Agent",
      "Accept",
    ]);
    assert.deepEqual([...first.headers], [["host", "elsewhere"], ["User-Agent", "wrk"], [
      "Accept",
      "*/*",
    ], ["x-added", "1"]]);
  });

  it("keeps the framing and connection options it read", () => {
    const options = connection();
    const closing = "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\n";
    keep(closing, options);
    const again = head(closing + "hello", undefined, options);
    assert.deepEqual(again.framing, { kind: "length", length: 5 });
    assert.equal(again.keepAlive, false);
    const continued =
      "PUT /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n";
    keep(continued, options);
    const chunked = head(continued, undefined, options);
    assert.deepEqual(chunked.framing, { kind: "chunked" });
    assert.equal(chunked.expect, "100-continue");
  });
});
