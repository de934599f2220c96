import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { parseRequestHead, type RequestHead } from "../../httputil/parse.ts";
import { DEFAULT_PARSE_LIMITS } from "../../httputil/limits.ts";
import { HttpError } from "../../httputil/errors.ts";
import { cachesHold } from "../../httputil/_head_strings.ts";

/** Latin1 bytes of `s`. */
function bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** `buf` behind a proxy that counts reads of its bytes by index (`reads.count`). */
function counted(buf: Uint8Array, reads: { count: number }): Uint8Array {
  return new Proxy(buf, {
    get(target, key) {
      if (typeof key === "string" && key.length > 0 && key.charCodeAt(0) <= 0x39) reads.count++;
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const FIELDS = "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/133\r\n" +
  "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
  "Accept-Language: en-GB,en;q=0.5\r\n" +
  "Host: field-lines.example:8080\r\n";
const HEAD = `GET /x HTTP/1.1\r\n${FIELDS}\r\n`;

function rejects(s: string, status: number): void {
  assert.throws(
    () => parseRequestHead(bytes(s)),
    (e) => e instanceof HttpError && e.status === status,
  );
}

describe("parseRequestHead: field lines seen before", () => {
  it("reads a repeated line's bytes once, not scanned and then looked up", () => {
    // The lines are kept the second time running they come.
    for (let i = 0; i < 3; i++) parseRequestHead(bytes(HEAD));
    const reads = { count: 0 };
    const head = parseRequestHead(counted(bytes(HEAD), reads));
    assert.ok(head !== null);
    assert.equal(head.headers.get("host"), "field-lines.example:8080");
    assert.equal(head.headers.get("accept-language"), "en-GB,en;q=0.5");
    assert.deepEqual([...head.headers].map(([name]) => name), [
      "User-Agent",
      "Accept",
      "Accept-Language",
      "Host",
    ]);
    // Each field byte once (the compare), eight more per line (its key), the request line and
    // the empty line as before: about 1.2 reads per head byte. Scanned, then compared with
    // cached strings, each field byte was read twice at least.
    assert.ok(
      reads.count < FIELDS.length * 1.4,
      `${reads.count} byte reads for ${FIELDS.length} field bytes`,
    );
  });

  it("gives a head of kept lines what a fresh parse gives", () => {
    const other = `POST /y HTTP/1.1\r\nContent-Length: 3\r\n${FIELDS}Connection: close\r\n\r\n`;
    let first: RequestHead | null = null;
    for (let i = 0; i < 4; i++) {
      const head = parseRequestHead(bytes(other));
      assert.ok(head !== null);
      if (first === null) first = head;
      assert.deepEqual([...head.headers], [...first.headers]);
      assert.deepEqual(head.framing, { kind: "length", length: 3 });
      assert.equal(head.keepAlive, false);
    }
  });

  it("still checks what depends on the rest of the head", () => {
    const te = "Transfer-Encoding: chunked\r\n";
    const cl = "Content-Length: 5\r\n";
    const host = "Host: field-lines.example:8080\r\n";
    for (let i = 0; i < 3; i++) {
      parseRequestHead(bytes(`POST / HTTP/1.1\r\n${host}${te}\r\n`));
      parseRequestHead(bytes(`POST / HTTP/1.1\r\n${host}${cl}\r\n`));
    }
    rejects(`POST / HTTP/1.1\r\n${host}${cl}${te}\r\n`, 400);
    rejects(`POST / HTTP/1.1\r\n${host}${te}${cl}\r\n`, 400);
    rejects(`GET / HTTP/1.1\r\n${host}${host}\r\n`, 400);
    rejects(`POST / HTTP/1.0\r\n${host}${te}\r\n`, 400);
    rejects(`POST / HTTP/1.1\r\n${host}${cl}Content-Length: 6\r\n\r\n`, 400);
  });

  it("keeps the limits: a kept line past the head's end or its limit is not taken", () => {
    for (let i = 0; i < 3; i++) parseRequestHead(bytes(HEAD));
    // Cut inside a kept line: incomplete, whatever was kept.
    for (let cut = 17; cut < HEAD.length; cut++) {
      assert.equal(parseRequestHead(bytes(HEAD.slice(0, cut))), null, `cut at ${cut}`);
    }
    const limits = { ...DEFAULT_PARSE_LIMITS, maxHeadBytes: HEAD.length - 20 };
    assert.throws(
      () => parseRequestHead(bytes(HEAD), limits),
      (e) => e instanceof HttpError && e.status === 431,
    );
    const few = { ...DEFAULT_PARSE_LIMITS, maxHeaderCount: 3 };
    assert.throws(
      () => parseRequestHead(bytes(HEAD), few),
      (e) => e instanceof HttpError && e.status === 431,
    );
  });

  it("takes a kept line only whole: a line that starts the same is scanned", () => {
    const line = "X-Trace: abcdefgh\r\n";
    for (let i = 0; i < 3; i++) parseRequestHead(bytes(`GET / HTTP/1.1\r\nHost: a\r\n${line}\r\n`));
    const head = parseRequestHead(
      bytes("GET / HTTP/1.1\r\nHost: a\r\nX-Trace: abcdefghij\r\n\r\n"),
    );
    assert.equal(head?.headers.get("x-trace"), "abcdefghij");
    rejects("GET / HTTP/1.1\r\nHost: a\r\nX-Trace: abcdefgh\x01\r\n\r\n", 400);
    rejects("GET / HTTP/1.1\r\nHost: a\r\nX-Trace: abcdefgh\r\r\n\r\n", 400);
  });
});

describe("parseRequestHead: credentials and the shared caches", () => {
  // The caches serve every client of the process and a hit is quicker than a miss: a value kept
  // there could be probed by another client's timing (RFC 7541 §7.1.3 keeps them out of HPACK's).
  const credentials = [
    ["Authorization", "Bearer 7Qm2c9-authorization-token"],
    ["Proxy-Authorization", "Basic cHJveHk6c2VjcmV0LXZhbHVl"],
    ["Cookie", "session=c00k1e-session-value"],
  ];

  it("keeps no credential's value, as a string or in a kept line, however often it comes", () => {
    for (const [name, value] of credentials) {
      const head = `GET /c HTTP/1.1\r\nHost: c.example\r\n${name}: ${value}\r\n\r\n`;
      for (let i = 0; i < 4; i++) {
        const parsed = parseRequestHead(bytes(head));
        assert.equal(parsed?.headers.get(name), value);
      }
      assert.equal(cachesHold(value), false, `${name}'s value is cached`);
    }
  });

  it("keeps the same value under another name (what the check above would see cached)", () => {
    const value = "session=other-field-value";
    const head = `GET /c HTTP/1.1\r\nHost: c.example\r\nX-Note: ${value}\r\n\r\n`;
    for (let i = 0; i < 4; i++) parseRequestHead(bytes(head));
    assert.equal(cachesHold(value), true);
  });
});
