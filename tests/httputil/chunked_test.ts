import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { ChunkedDecoder, type ChunkedDecoderOptions } from "../../httputil/chunked.ts";
import { HttpError } from "../../httputil/errors.ts";

function bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function text(parts: Uint8Array[]): string {
  let s = "";
  for (const p of parts) for (const b of p) s += String.fromCharCode(b);
  return s;
}

interface Outcome {
  body: string;
  done: boolean;
  consumed: number;
  trailers: [string, string][];
  error: number | null;
}

/** Feeds `wire` cut at `cuts` (offsets), as a connection would: unconsumed bytes are re-offered. */
function run(wire: string, cuts: number[] = [], options?: ChunkedDecoderOptions): Outcome {
  const decoder = new ChunkedDecoder(options);
  const input = bytes(wire);
  const data: Uint8Array[] = [];
  let consumed = 0;
  let error: number | null = null;
  try {
    for (const end of [...cuts, input.length]) {
      if (decoder.done) break;
      const result = decoder.decode(input.subarray(consumed, end));
      data.push(...result.data);
      consumed += result.consumed;
      assert.equal(result.done, decoder.done);
    }
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    error = e.status;
  }
  // A throwing call returns nothing, so what came before an error depends on
  // the split: only the status is compared then.
  if (error !== null) return { body: "", done: false, consumed: -1, trailers: [], error };
  return { body: text(data), done: decoder.done, consumed, trailers: [...decoder.trailers], error };
}

function rejects(wire: string, status = 400, options?: ChunkedDecoderOptions): void {
  const outcome = run(wire, [], options);
  assert.equal(outcome.error, status, `${JSON.stringify(wire)} -> ${JSON.stringify(outcome)}`);
}

/** Every split into two pieces, and one byte at a time, must give the one-shot outcome. */
function assertSplitIndependent(wire: string, options?: ChunkedDecoderOptions): Outcome {
  const whole = run(wire, [], options);
  for (let cut = 0; cut <= wire.length; cut++) {
    assert.deepEqual(run(wire, [cut], options), whole, `split at ${cut}`);
  }
  const everyByte = Array.from({ length: wire.length }, (_, i) => i);
  assert.deepEqual(run(wire, everyByte, options), whole, "one byte at a time");
  return whole;
}

describe("ChunkedDecoder: chunks (RFC 9112 §7.1)", () => {
  it("decodes chunks into body bytes and stops after the last chunk's CRLF", () => {
    const wire = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    const outcome = run(wire + "GET / HTTP/1.1\r\n");
    assert.deepEqual(outcome, {
      body: "hello world",
      done: true,
      consumed: wire.length,
      trailers: [],
      error: null,
    });
  });

  it("returns views of the input rather than copies", () => {
    const input = bytes("3\r\nabc\r\n0\r\n\r\n");
    const result = new ChunkedDecoder().decode(input);
    assert.equal(result.data.length, 1);
    assert.equal(result.data[0].buffer, input.buffer);
    assert.equal(result.data[0].byteOffset, 3);
  });

  it("accepts hex digits in either case and leading zeros", () => {
    assert.equal(
      run("a\r\n0123456789\r\nA\r\n0123456789\r\n000\r\n\r\n").body,
      "0123456789".repeat(2),
    );
    assert.equal(run("0005\r\nhello\r\n0\r\n\r\n").body, "hello");
  });

  it("is not done until the final CRLF arrives", () => {
    const cases = [["", ""], ["5\r\nhel", "hel"], ["5\r\nhello\r\n0\r\n", "hello"], [
      "0\r\nX: 1\r\n",
      "",
    ]];
    for (const [partial, body] of cases) {
      const outcome = run(partial);
      assert.equal(outcome.done, false, JSON.stringify(partial));
      assert.equal(outcome.error, null);
      assert.equal(outcome.consumed, partial.length);
      assert.equal(outcome.body, body);
    }
  });

  it("gives the same data, trailers and consumed count however the input is split", () => {
    assertSplitIndependent(
      '5;a=b\r\nhello\r\n1 ;q="x\\"y"\r\n \r\n0\r\nT: 1\r\nU:  v \r\n\r\nNEXT',
    );
    assertSplitIndependent("1\r\na\r\n0\r\n\r\n");
  });

  it("reports the same error however the input is split", () => {
    for (const wire of ["5\r\nhelloX\r\n", "5\r\nhello\r\n0\r\nBad Name: 1\r\n\r\n", "5 x\r\n"]) {
      assert.equal(assertSplitIndependent(wire).error, 400);
    }
  });

  it("returns nothing more once done", () => {
    const decoder = new ChunkedDecoder();
    assert.equal(decoder.decode(bytes("0\r\n\r\n")).done, true);
    assert.deepEqual(decoder.decode(bytes("5\r\nhello")), { data: [], done: true, consumed: 0 });
  });

  it("keeps failing after an error", () => {
    const decoder = new ChunkedDecoder();
    assert.throws(() => decoder.decode(bytes("x")), HttpError);
    assert.throws(() => decoder.decode(bytes("0\r\n\r\n")), HttpError);
  });
});

describe("ChunkedDecoder: chunk-size line", () => {
  it("rejects a size that is not 1*HEXDIG (400)", () => {
    for (
      const line of ["\r\n", "0x5\r\n", " 5\r\n", "+5\r\n", "-5\r\n", "g\r\n", "5 \r\n", "5\t\r\n"]
    ) {
      rejects(line + "hello\r\n0\r\n\r\n");
    }
  });

  it("rejects a missing last chunk (400)", () => {
    rejects("3\r\nfoo\r\n\r\n");
  });

  it("rejects a bare LF or a bare CR after the size (400)", () => {
    rejects("5\nhello\r\n0\r\n\r\n");
    rejects("5\rhello\r\n0\r\n\r\n");
  });

  it("rejects a size above 2^53 - 1 (400)", () => {
    rejects("20000000000000\r\n");
    rejects("ffffffffffffffffffff\r\n");
    const outcome = run("1fffffffffffff\r\n");
    assert.equal(outcome.error, null);
  });

  it("answers 413 as soon as the announced size exceeds maxBodyBytes", () => {
    rejects("b", 413, { maxBodyBytes: 10 });
    assert.equal(run("a\r\n0123456789\r\n0\r\n\r\n", [], { maxBodyBytes: 10 }).body, "0123456789");
    rejects("6\r\nhello \r\n5", 413, { maxBodyBytes: 10 });
  });

  it("accepts and ignores chunk extensions: token or quoted-string values, BWS", () => {
    for (
      const ext of [";a", ";a=b", ";a;b=c", ' ;a="x y"', ';a="q \\" \\\\ x"', "; a = b", ";a=b ;c"]
    ) {
      const outcome = run(`5${ext}\r\nhello\r\n0;last\r\n\r\n`);
      assert.equal(outcome.error, null, ext);
      assert.equal(outcome.body, "hello");
    }
  });

  it("rejects malformed chunk extensions (400)", () => {
    for (
      const ext of [
        ";",
        ";=b",
        ";a=",
        ';a="x',
        ";a b",
        ";a=b c",
        ';a="x"y',
        ";a=b ",
        "; ",
        ";a=\x01",
        ";\xff",
      ]
    ) {
      rejects(`5${ext}\r\nhello\r\n0\r\n\r\n`);
    }
  });

  it("rejects chunk extensions longer than maxChunkExtensionBytes (400)", () => {
    const ext = ";a=" + "b".repeat(30);
    assert.equal(
      run(`5${ext}\r\nhello\r\n0\r\n\r\n`, [], { maxChunkExtensionBytes: 33 }).error,
      null,
    );
    rejects(`5${ext}\r\nhello\r\n0\r\n\r\n`, 400, { maxChunkExtensionBytes: 32 });
    rejects(`5;a=${"b".repeat(5000)}\r\n`);
  });
});

describe("ChunkedDecoder: chunk data", () => {
  it("requires CRLF right after the data (400)", () => {
    rejects("5\r\nhelloX\r\n0\r\n\r\n");
    rejects("5\r\nhello0\r\n\r\n");
    rejects("5\r\nhello\n0\r\n\r\n");
    rejects("5\r\nhello\rX0\r\n\r\n");
  });
});

describe("ChunkedDecoder: trailers (RFC 9112 §7.1.2)", () => {
  it("collects trailer fields with their case and order, values OWS-trimmed", () => {
    const outcome = run("0\r\nVary: *\r\nX-Sum:  ab \t\r\nvary: b\r\n\r\n");
    assert.deepEqual(outcome.trailers, [["Vary", "*"], ["X-Sum", "ab"], ["vary", "b"]]);
    assert.equal(outcome.done, true);
  });

  it("parses trailers with the header rules: obs-fold, bare CR/LF, bad names, controls (400)", () => {
    for (
      const line of [
        "X: a\r\n b",
        "X: a\nY: b",
        "X: a\rY: b",
        "X : a",
        "X\x01: a",
        ": a",
        "X: a\x00",
        "X",
      ]
    ) {
      rejects(`0\r\n${line}\r\n\r\n`);
    }
    rejects("0\r\n\n");
    rejects("0\r\n\rX");
  });

  it("answers 431 when trailer lines exceed maxTrailerBytes, even split", () => {
    const wire = "0\r\nX: " + "a".repeat(20) + "\r\n\r\n";
    assert.equal(run(wire, [], { maxTrailerBytes: 25 }).done, true);
    rejects(wire, 431, { maxTrailerBytes: 24 });
    assert.equal(assertSplitIndependent(wire, { maxTrailerBytes: 24 }).error, 431);
    rejects("0\r\nX: " + "a".repeat(20000), 431);
  });
});
