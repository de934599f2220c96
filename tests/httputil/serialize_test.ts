import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  continueResponse,
  encodeChunk,
  encodeLastChunk,
  LAST_CHUNK,
  serializeRequest,
  serializeResponse,
  serializeResponseHead,
  type SerializeResponseOptions,
} from "../../httputil/serialize.ts";
import { InvalidHeaderError } from "../../httputil/errors.ts";
import { HeaderList } from "../../httputil/headers.ts";

const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

describe("serializeResponseHead", () => {
  it("writes the status line, headers in order, Date and Content-Length", () => {
    const head = text(
      serializeResponseHead({ status: 200, headers: [["X-A", "1"], ["x-b", "2"]] }, {
        contentLength: 3,
      }),
    );
    assert.match(
      head,
      /^HTTP\/1\.1 200 OK\r\nX-A: 1\r\nx-b: 2\r\ndate: [^\r]+ GMT\r\ncontent-length: 3\r\n\r\n$/,
    );
  });

  it("accepts headers as a record, a HeaderList or Web Headers", () => {
    const expected = "HTTP/1.1 204 No Content\r\nx-a: 1\r\n\r\n";
    for (
      const headers of [{ "x-a": "1" }, new HeaderList([["x-a", "1"]]), new Headers({ "x-a": "1" })]
    ) {
      assert.equal(
        text(serializeResponseHead({ status: 204, headers }, { date: false })),
        expected,
      );
    }
  });

  it("keeps a given Date header instead of adding one", () => {
    const head = text(
      serializeResponseHead({ status: 200, headers: { date: "yesterday" } }, { contentLength: 0 }),
    );
    assert.equal(head.match(/date:/gi)?.length, 1);
  });

  it("uses chunked encoding for an unknown length on HTTP/1.1 only", () => {
    assert.match(
      text(serializeResponseHead({ status: 200 }, { date: false })),
      /transfer-encoding: chunked\r\n/,
    );
    const old = text(
      serializeResponseHead({ status: 200 }, { date: false, version: "1.0", close: true }),
    );
    assert.equal(old, "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n");
  });

  it("announces no chunked encoding to a HEAD request of unknown length", () => {
    assert.equal(
      text(serializeResponseHead({ status: 200 }, { date: false, requestMethod: "HEAD" })),
      "HTTP/1.1 200 OK\r\n\r\n",
    );
  });

  it("adds no framing headers to 1xx, 204 and 304, and drops given ones", () => {
    for (const status of [101, 204, 304]) {
      const head = text(
        serializeResponseHead({ status, headers: { "content-length": "10" } }, { date: false }),
      );
      assert.ok(!/content-length|transfer-encoding/i.test(head), head);
    }
  });

  it("owns framing: a matching Content-Length is written once, a different one refused, TE dropped", () => {
    const head = text(
      serializeResponseHead({
        status: 200,
        headers: { "Content-Length": "2", "Transfer-Encoding": "gzip" },
      }, {
        contentLength: 2,
        date: false,
      }),
    );
    assert.equal(head, "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n");
    assert.throws(
      () =>
        serializeResponseHead({ status: 200, headers: { "content-length": "5" } }, {
          contentLength: 2,
        }),
      /does not match/,
    );
  });

  it("uses a custom reason phrase, refusing control characters in it", () => {
    assert.match(
      text(serializeResponseHead({ status: 200, statusText: "Fine" }, { date: false })),
      /^HTTP\/1\.1 200 Fine\r\n/,
    );
    assert.throws(() => serializeResponseHead({ status: 200, statusText: "a\r\nb" }), TypeError);
  });

  it("refuses an invalid status code", () => {
    assert.throws(() => serializeResponseHead({ status: 1000 }), RangeError);
  });

  for (
    const [label, name, value] of [
      ["CR LF in a value", "x-a", "a\r\nSet-Cookie: x=1"],
      ["a bare LF in a value", "x-a", "a\nb"],
      ["NUL in a value", "x-a", "a\0b"],
      ["a non-latin1 character in a value", "x-a", "\u2028"],
      ["a space in a name", "x a", "v"],
      ["a colon in a name", "x:a", "v"],
      ["an empty name", "", "v"],
    ] as const
  ) {
    it(`throws InvalidHeaderError for ${label}, producing no bytes`, () => {
      let bytes: Uint8Array | undefined;
      assert.throws(() => {
        bytes = serializeResponseHead({ status: 200, headers: [[name, value]] });
      }, InvalidHeaderError);
      assert.equal(bytes, undefined);
    });
  }

  it("trims surrounding whitespace and keeps latin1 bytes as single bytes", () => {
    const bytes = serializeResponseHead({ status: 200, headers: [["x-a", "  caf\u00e9\t"]] }, {
      date: false,
      contentLength: 0,
    });
    assert.ok(text(bytes).includes("x-a: caf\u00e9\r\n"));
    assert.equal(bytes.filter((b) => b === 0xe9).length, 1);
  });

  it("reads the clock for the Date once per task: a later task sees the new second", async () => {
    const now = Date.now;
    const dateOf = (): string =>
      /date: ([^\r]+)\r\n/.exec(text(serializeResponseHead({ status: 204 })))![1];
    try {
      await new Promise((resolve) => setTimeout(resolve, 0));
      Date.now = () => 0;
      assert.equal(dateOf(), "Thu, 01 Jan 1970 00:00:00 GMT");
      Date.now = () => 5_000;
      assert.equal(dateOf(), "Thu, 01 Jan 1970 00:00:00 GMT"); // the same task
      await new Promise((resolve) => setTimeout(resolve, 0));
      assert.equal(dateOf(), "Thu, 01 Jan 1970 00:00:05 GMT");
    } finally {
      Date.now = now;
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.notEqual(dateOf(), "Thu, 01 Jan 1970 00:00:05 GMT");
  });

  it("writes a field repeated over many responses, and fields that share its place, as given", () => {
    // Lines written again come from a cache of field lines: it must never answer with another's.
    const head = (headers: [string, string][]): string =>
      text(serializeResponseHead({ status: 204, headers }, { date: false }));
    for (let round = 0; round < 4; round++) {
      for (const value of ["v1", "v2", "v1", "w1"]) {
        assert.equal(head([["x-a", value]]), `HTTP/1.1 204 No Content\r\nx-a: ${value}\r\n\r\n`);
      }
      assert.equal(
        head([["x-a", " v1 "], ["X-A", "v1"], ["x-b", "v1"]]),
        "HTTP/1.1 204 No Content\r\nx-a: v1\r\nX-A: v1\r\nx-b: v1\r\n\r\n",
      );
      assert.throws(() => head([["x-a", "v\n"]]), InvalidHeaderError);
    }
    // A field line longer than a cached one, in a head grown past the serialiser's buffer.
    const long = "y".repeat(3000);
    for (let round = 0; round < 3; round++) {
      assert.equal(
        head([["x-pad", "p".repeat(2000)], ["x-long", long]]),
        `HTTP/1.1 204 No Content\r\nx-pad: ${"p".repeat(2000)}\r\nx-long: ${long}\r\n\r\n`,
      );
    }
  });

  it("writes a head sent again as given, and one that differs from it in any input as itself", async () => {
    // A head written twice running is kept as bytes (`_response_bytes.ts`): each variant comes
    // after the base head was kept, and must read as it does written field by field (after
    // another head, which nothing kept).
    type Case = [
      { status: number; headers?: [string, string][] | Record<string, string> },
      SerializeResponseOptions,
    ];
    const written = ([head, options]: Case): string => text(serializeResponseHead(head, options));
    const fresh = (each: Case): string => {
      written([{ status: 299 }, {}]);
      return written(each);
    };
    const fields: [string, string][] = [["content-type", "text/plain"], ["x-a", "1"]];
    const base: Case = [{ status: 200, headers: fields }, {
      contentLength: 5,
      keepAliveTimeout: 4,
    }];
    const record: Record<string, string> = { "content-type": "text/plain", "x-a": "1" };
    const byRecord: Case = [{ status: 200, headers: record }, base[1]];
    /** Of unknown length: chunked, unless to a HEAD or an HTTP/1.0 request. */
    const streamed: Case = [{ status: 200, headers: fields }, { keepAliveTimeout: 4 }];
    const pairs: [Case, Case][] = [
      [base, [{ status: 201, headers: fields }, base[1]]],
      [base, [{ status: 200, headers: [["content-type", "text/plain"], ["x-a", "2"]] }, base[1]]],
      [base, [{ status: 200, headers: [["content-type", "text/plain"], ["x-b", "1"]] }, base[1]]],
      [base, [{ status: 200, headers: [["content-type", "text/plain"]] }, base[1]]],
      [base, [{ status: 200 }, base[1]]],
      [base, [base[0], { contentLength: 6, keepAliveTimeout: 4 }]],
      [base, [base[0], { contentLength: 5, keepAliveTimeout: 9 }]],
      [base, [base[0], { contentLength: 5 }]],
      [base, [base[0], { contentLength: 5, keepAliveTimeout: 4, close: true }]],
      [base, [base[0], { contentLength: 5, keepAliveTimeout: 4, date: false }]],
      [base, streamed],
      [streamed, [base[0], { keepAliveTimeout: 4, version: "1.0" }]],
      [streamed, [base[0], { keepAliveTimeout: 4, requestMethod: "HEAD" }]],
      // Fields as a record, compared as the pairs `Object.entries` gives.
      [byRecord, [{ status: 200, headers: { "content-type": "text/plain", "x-a": "2" } }, base[1]]],
      [byRecord, [{ status: 200, headers: { "x-a": "1", "content-type": "text/plain" } }, base[1]]],
      [byRecord, [{ status: 200, headers: { "content-type": "text/plain" } }, base[1]]],
      [byRecord, [{ status: 200, headers: { ...record, "x-b": "1" } }, base[1]]],
      [byRecord, [
        { status: 200, headers: [["content-type", "text/plain"], ["x-a", "2"]] },
        base[1],
      ]],
      [base, [{ status: 200, headers: { "content-type": "text/plain", "x-a": "2" } }, base[1]]],
    ];
    for (const [kept, variant] of pairs) {
      const expected = fresh(kept);
      for (let i = 0; i < 3; i++) assert.equal(written(kept), expected);
      const wanted = fresh(variant);
      assert.notEqual(wanted, expected);
      for (let i = 0; i < 3; i++) written(kept);
      assert.equal(written(variant), wanted);
    }
    // The same array, edited in place between two heads.
    for (let i = 0; i < 3; i++) written(base);
    fields[1] = ["x-a", "3"];
    assert.match(written(base), /\r\nx-a: 3\r\n/);
    // The same record, edited in place; then given a field that is not a string.
    for (let i = 0; i < 3; i++) written(byRecord);
    record["x-a"] = "4";
    assert.match(written(byRecord), /\r\nx-a: 4\r\n/);
    for (let i = 0; i < 3; i++) written(byRecord);
    (record as Record<string, unknown>)["x-a"] = 5;
    assert.match(written(byRecord), /\r\nx-a: 5\r\n/);
    // A record and pairs of the same fields write the same head.
    record["x-a"] = "3";
    assert.equal(fresh(byRecord), fresh(base));
    // A head that throws is never kept, however often it comes.
    for (let i = 0; i < 3; i++) {
      assert.throws(
        () => written([{ status: 200, headers: [["x-a", "v\n"]] }, {}]),
        InvalidHeaderError,
      );
    }
    // A kept head carries the Date of its second: the next second writes a head of its own.
    const now = Date.now;
    try {
      await new Promise((resolve) => setTimeout(resolve, 0));
      Date.now = () => 0;
      for (let i = 0; i < 3; i++) assert.match(written(base), /1970 00:00:00 GMT/);
      await new Promise((resolve) => setTimeout(resolve, 0));
      Date.now = () => 5_000;
      assert.match(written(base), /1970 00:00:05 GMT/);
    } finally {
      Date.now = now;
    }
  });

  it("asks to close, and keeps an explicit keep-alive for HTTP/1.0", () => {
    assert.match(
      text(serializeResponseHead({ status: 200 }, { close: true, contentLength: 0 })),
      /connection: close\r\n/,
    );
    assert.match(
      text(
        serializeResponseHead({ status: 200, headers: { connection: "keep-alive" } }, {
          contentLength: 0,
        }),
      ),
      /connection: keep-alive\r\n/,
    );
  });
});

describe("serializeResponse", () => {
  it("appends the body after the head with its length", () => {
    assert.equal(
      text(serializeResponse({ status: 200 }, "hi", { date: false })),
      "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi",
    );
  });

  it("gives each response bytes of its own, however large its head or body", () => {
    const big = "v".repeat(70_000);
    const first = serializeResponse({ status: 200 }, "one", { date: false });
    const large = serializeResponse({ status: 200, headers: [["x-big", big]] }, "two", {
      date: false,
    });
    const bytes = new Uint8Array(5000).fill(0x61);
    const withBytes = serializeResponse({ status: 200 }, bytes, { date: false });
    const last = serializeResponse({ status: 404 }, "three", { date: false });
    assert.equal(text(first), "HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\none");
    assert.equal(text(large), `HTTP/1.1 200 OK\r\nx-big: ${big}\r\ncontent-length: 3\r\n\r\ntwo`);
    assert.equal(withBytes.length, 41 + 5000);
    assert.ok(withBytes.subarray(41).every((b) => b === 0x61));
    assert.equal(text(last), "HTTP/1.1 404 Not Found\r\ncontent-length: 5\r\n\r\nthree");
    // Nothing of another response is reachable through a result's buffer.
    for (const bytes of [first, large, withBytes, last]) {
      assert.equal(bytes.buffer.byteLength, bytes.byteLength);
    }
    first.fill(0); // writing into one response leaves the others as they were
    assert.equal(text(last), "HTTP/1.1 404 Not Found\r\ncontent-length: 5\r\n\r\nthree");
  });

  it("serialises a response from within a header value's toString", () => {
    const inner = {
      toString: () =>
        text(serializeResponse({ status: 204 }, null, { date: false })).length.toString(),
    };
    const bytes = serializeResponse(
      { status: 200, headers: [["x-a", "1"], ["x-b", inner as unknown as string]] },
      "ok",
      { date: false },
    );
    assert.equal(
      text(bytes),
      "HTTP/1.1 200 OK\r\nx-a: 1\r\nx-b: 27\r\ncontent-length: 2\r\n\r\nok",
    );
  });

  it("omits the body for HEAD", () => {
    assert.equal(
      text(serializeResponse({ status: 200 }, "hi", { date: false, requestMethod: "HEAD" })),
      "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n",
    );
  });
});

describe("serializeRequest", () => {
  it("writes the request line, headers and a Content-Length body", () => {
    assert.equal(
      text(
        serializeRequest({ method: "POST", target: "/p", headers: [["host", "a"]], body: "xy" }),
      ),
      "POST /p HTTP/1.1\r\nhost: a\r\ncontent-length: 2\r\n\r\nxy",
    );
  });

  it("refuses a bad method or target", () => {
    assert.throws(() => serializeRequest({ method: "G T", target: "/" }), TypeError);
    assert.throws(() => serializeRequest({ method: "GET", target: "/a b" }), TypeError);
    assert.throws(() => serializeRequest({ method: "GET", target: "" }), TypeError);
  });
});

describe("chunk encoding", () => {
  it("frames a chunk with its hex size", () => {
    assert.equal(text(encodeChunk(new Uint8Array(26).fill(0x61))), `1a\r\n${"a".repeat(26)}\r\n`);
  });

  it("refuses an empty chunk, which would end the body", () => {
    assert.throws(() => encodeChunk(new Uint8Array(0)), RangeError);
  });

  it("ends a body with the last chunk, with trailers when given", () => {
    assert.equal(text(LAST_CHUNK), "0\r\n\r\n");
    assert.equal(encodeLastChunk(), LAST_CHUNK);
    assert.equal(text(encodeLastChunk([["x-sum", "3"]])), "0\r\nx-sum: 3\r\n\r\n");
    assert.throws(() => encodeLastChunk([["x-sum", "a\nb"]]), InvalidHeaderError);
  });

  it("has the interim 100 Continue response", () => {
    assert.equal(text(continueResponse()), "HTTP/1.1 100 Continue\r\n\r\n");
  });
});
