import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  CompressionError,
  ErrorCode,
  HeaderListTooLargeError,
  HpackDecoder,
  HpackEncoder,
} from "../../http2/mod.ts";
import { hex, pairs, random } from "./_h2.ts";

/** Decodes `blocks` in order with one decoder, checking the fields and table after each. */
function series(
  tableSize: number,
  steps: { block: string; fields: [string, string][]; table: [string, string][]; size: number }[],
): void {
  const decoder = new HpackDecoder({ maxTableSize: tableSize });
  for (const [i, step] of steps.entries()) {
    assert.deepEqual(pairs(decoder.decode(hex(step.block))), step.fields, `block ${i + 1}`);
    assert.deepEqual(decoder.tableEntries(), step.table, `table after block ${i + 1}`);
    assert.equal(decoder.tableSize, step.size, `table size after block ${i + 1}`);
  }
}

const REQUEST_1: [string, string][] = [
  [":method", "GET"],
  [":scheme", "http"],
  [":path", "/"],
  [":authority", "www.example.com"],
];
const REQUEST_2: [string, string][] = [...REQUEST_1, ["cache-control", "no-cache"]];
const REQUEST_3: [string, string][] = [
  [":method", "GET"],
  [":scheme", "https"],
  [":path", "/index.html"],
  [":authority", "www.example.com"],
  ["custom-key", "custom-value"],
];
const TABLE_1: [string, string][] = [[":authority", "www.example.com"]];
const TABLE_2: [string, string][] = [["cache-control", "no-cache"], ...TABLE_1];
const TABLE_3: [string, string][] = [["custom-key", "custom-value"], ...TABLE_2];

const DATE_1 = "Mon, 21 Oct 2013 20:13:21 GMT";
const DATE_2 = "Mon, 21 Oct 2013 20:13:22 GMT";
const LOCATION = "https://www.example.com";
const COOKIE = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
const RESPONSE_1: [string, string][] = [
  [":status", "302"],
  ["cache-control", "private"],
  ["date", DATE_1],
  ["location", LOCATION],
];
const RESPONSE_2: [string, string][] = [[":status", "307"], ...RESPONSE_1.slice(1)];
const RESPONSE_3: [string, string][] = [
  [":status", "200"],
  ["cache-control", "private"],
  ["date", DATE_2],
  ["location", LOCATION],
  ["content-encoding", "gzip"],
  ["set-cookie", COOKIE],
];
const RTABLE_1: [string, string][] = [...RESPONSE_1].reverse();
const RTABLE_2: [string, string][] = [[":status", "307"], ...RTABLE_1.slice(0, 3)];
const RTABLE_3: [string, string][] = [
  ["set-cookie", COOKIE],
  ["content-encoding", "gzip"],
  ["date", DATE_2],
];

describe("HpackDecoder: RFC 7541 Appendix C", () => {
  it("C.2.1 literal with indexing enters the table", () => {
    series(4096, [{
      block: "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
      fields: [["custom-key", "custom-header"]],
      table: [["custom-key", "custom-header"]],
      size: 55,
    }]);
  });

  it("C.2.2 literal without indexing and C.2.3 never indexed leave the table empty", () => {
    series(4096, [{
      block: "040c 2f73 616d 706c 652f 7061 7468",
      fields: [[":path", "/sample/path"]],
      table: [],
      size: 0,
    }]);
    series(4096, [{
      block: "1008 7061 7373 776f 7264 0673 6563 7265 74",
      fields: [["password", "secret"]],
      table: [],
      size: 0,
    }]);
  });

  it("C.2.4 indexed field", () => {
    series(4096, [{ block: "82", fields: [[":method", "GET"]], table: [], size: 0 }]);
  });

  it("C.3 requests without Huffman coding", () => {
    series(4096, [
      {
        block: "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        fields: REQUEST_1,
        table: TABLE_1,
        size: 57,
      },
      { block: "8286 84be 5808 6e6f 2d63 6163 6865", fields: REQUEST_2, table: TABLE_2, size: 110 },
      {
        block: "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
        fields: REQUEST_3,
        table: TABLE_3,
        size: 164,
      },
    ]);
  });

  it("C.4 requests with Huffman coding", () => {
    series(4096, [
      {
        block: "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
        fields: REQUEST_1,
        table: TABLE_1,
        size: 57,
      },
      { block: "8286 84be 5886 a8eb 1064 9cbf", fields: REQUEST_2, table: TABLE_2, size: 110 },
      {
        block: "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
        fields: REQUEST_3,
        table: TABLE_3,
        size: 164,
      },
    ]);
  });

  it("C.5 responses without Huffman coding, with evictions in a 256-octet table", () => {
    series(256, [
      {
        block: `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
          2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
          6c65 2e63 6f6d`,
        fields: RESPONSE_1,
        table: RTABLE_1,
        size: 222,
      },
      { block: "4803 3330 37c1 c0bf", fields: RESPONSE_2, table: RTABLE_2, size: 222 },
      {
        block: `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
          54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
          5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
          3d31`,
        fields: RESPONSE_3,
        table: RTABLE_3,
        size: 215,
      },
    ]);
  });

  it("C.6 responses with Huffman coding, with the same evictions", () => {
    series(256, [
      {
        block: `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
          2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
        fields: RESPONSE_1,
        table: RTABLE_1,
        size: 222,
      },
      { block: "4883 640e ffc1 c0bf", fields: RESPONSE_2, table: RTABLE_2, size: 222 },
      {
        block: `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
          77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
          9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
        fields: RESPONSE_3,
        table: RTABLE_3,
        size: 215,
      },
    ]);
  });
});

/** Asserts that decoding `block` fails with a CompressionError whose message matches. */
function refuses(block: Uint8Array, message: RegExp, decoder = new HpackDecoder()): void {
  assert.throws(() => decoder.decode(block), (error: unknown) => {
    assert.ok(error instanceof CompressionError, String(error));
    assert.equal(error.code, ErrorCode.COMPRESSION_ERROR);
    assert.equal(error.scope, "connection");
    assert.match(error.message, message);
    return true;
  });
}

/** A literal field without indexing, new name, Huffman-coded value `coded`. */
function huffmanValue(coded: number[]): Uint8Array {
  return Uint8Array.from([0x00, 0x01, 0x78, 0x80 | coded.length, ...coded]);
}

describe("HpackDecoder: Huffman coding (RFC 7541 §5.2)", () => {
  it("accepts padding of up to 7 bits, all ones", () => {
    // "0" is 00000; with 111 of padding: 0x07. "a" is 00011: 0x1f.
    assert.deepEqual(new HpackDecoder().decode(huffmanValue([0x07])), ["x", "0"]);
    assert.deepEqual(new HpackDecoder().decode(huffmanValue([0x1f])), ["x", "a"]);
    assert.deepEqual(new HpackDecoder().decode(huffmanValue([])), ["x", ""]);
  });

  it("refuses padding longer than 7 bits", () => {
    refuses(huffmanValue([0x1f, 0xff]), /padding/);
    refuses(huffmanValue([0xff]), /padding/); // a whole octet of padding, no symbol
  });

  it("refuses padding that is not all ones (not a prefix of EOS)", () => {
    refuses(huffmanValue([0x18]), /padding/); // "a" then 000
    refuses(huffmanValue([0x1d]), /padding/); // "a" then 101
  });

  it("refuses an EOS symbol in the string", () => {
    // 30 ones (EOS) then 2 ones of padding.
    refuses(huffmanValue([0xff, 0xff, 0xff, 0xff]), /EOS/);
    // "a" (00011) then EOS (30 ones) then 5 ones: 00011111 ... 11111111
    refuses(huffmanValue([0x1f, 0xff, 0xff, 0xff, 0xff]), /EOS/);
  });

  it("decodes every octet value, as the encoder codes it", () => {
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    const encoder = new HpackEncoder();
    const block = encoder.encode([["x-all", all], ["x-long", all.repeat(40)]]);
    assert.deepEqual(new HpackDecoder({ maxHeaderListSize: 1 << 20 }).decode(block), [
      "x-all",
      all,
      "x-long",
      all.repeat(40),
    ]);
  });
});

describe("HpackDecoder: malformed blocks are COMPRESSION_ERROR", () => {
  it("refuses index 0 and indices beyond the tables", () => {
    refuses(Uint8Array.of(0x80), /index 0/);
    refuses(Uint8Array.of(0xbe), /index 62/); // empty dynamic table
    refuses(Uint8Array.of(0x7f, 0x00, 0x01, 0x61), /index 63/); // literal naming index 63
  });

  it("refuses integers above 2^31-1 and truncated integers (§5.1)", () => {
    refuses(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x0f), /integer too large/);
    refuses(Uint8Array.of(0xff, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01), /integer too large/);
    refuses(Uint8Array.of(0xff), /truncated integer/);
    refuses(Uint8Array.of(0xff, 0x80), /truncated integer/);
  });

  it("refuses strings running past the block, and truncated fields", () => {
    refuses(Uint8Array.of(0x40, 0x05, 0x61), /longer than the block/);
    refuses(Uint8Array.of(0x40), /truncated field/);
    refuses(Uint8Array.of(0x40, 0x01, 0x61), /truncated field/); // value missing
  });

  it("refuses strings longer than maxStringLength, raw or Huffman-coded", () => {
    const decoder = () => new HpackDecoder({ maxStringLength: 10 });
    const raw = Uint8Array.of(0x00, 0x01, 0x78, 11, ...new TextEncoder().encode("aaaaaaaaaaa"));
    refuses(raw, /longer than 10/, decoder());
    // Eleven "a" Huffman-coded: 55 bits in 7 octets.
    const coded = new HpackEncoder().encode([["x", "aaaaaaaaaaa"]]);
    assert.equal(coded[coded.length - 8], 0x87, "the value is Huffman-coded");
    refuses(coded, /longer than 10/, decoder());
    assert.deepEqual(decoder().decode(new HpackEncoder().encode([["x", "aaaaaaaaaa"]])), [
      "x",
      "aaaaaaaaaa",
    ]);
  });
});

describe("HpackDecoder: dynamic table size updates (RFC 7541 §4.2, §6.3)", () => {
  it("accepts updates up to the advertised limit at the start of a block", () => {
    const decoder = new HpackDecoder();
    // 4096 = 31 + 0x61 + (0x1f << 7)
    decoder.decode(Uint8Array.of(0x3f, 0xe1, 0x1f, 0x82));
    assert.equal(decoder.maxTableSize, 4096);
    decoder.decode(Uint8Array.of(0x20, 0x3f, 0x45, 0x82)); // 0 then 100: two are allowed
    assert.equal(decoder.maxTableSize, 100);
  });

  it("refuses an update above the limit", () => {
    refuses(Uint8Array.of(0x3f, 0xe2, 0x1f), /above 4096/); // 4097
    refuses(Uint8Array.of(0x3f, 0x46), /above 100/, new HpackDecoder({ maxTableSize: 100 })); // 101
  });

  it("refuses an update after a field, and a third update", () => {
    refuses(Uint8Array.of(0x82, 0x20), /after a field/);
    refuses(Uint8Array.of(0x20, 0x20, 0x20, 0x82), /more than two/);
  });

  it("evicts entries when the table shrinks", () => {
    const decoder = new HpackDecoder();
    decoder.decode(hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"));
    assert.equal(decoder.tableSize, 57);
    decoder.decode(Uint8Array.of(0x3f, 0x19, 0x82)); // 56: the entry no longer fits
    assert.equal(decoder.tableSize, 0);
    refuses(Uint8Array.of(0xbe), /index 62/, decoder);
  });

  it("requires an update once the limit is lowered below the table's size", () => {
    const decoder = new HpackDecoder();
    decoder.setMaxTableSize(100);
    refuses(Uint8Array.of(0x82), /missing table size update/, decoder);
    const next = new HpackDecoder();
    next.setMaxTableSize(100);
    assert.deepEqual(next.decode(Uint8Array.of(0x3f, 0x45, 0x82)), [":method", "GET"]);
    assert.deepEqual(next.decode(Uint8Array.of(0x82)), [":method", "GET"]); // once is enough
  });
});

describe("HpackDecoder: header list size (RFC 9113 §6.5.2)", () => {
  it("refuses an HPACK bomb without building the list, and stays in step", () => {
    // One 4000-octet entry, then 10000 one-octet references to it: 40 MB if decoded.
    const value = "a".repeat(4000);
    // Literal with incremental indexing, new name "x-bomb", raw value of 4000 = 127 + 0x21 + (0x1e << 7).
    const literal = Uint8Array.of(
      0x40,
      6,
      ...new TextEncoder().encode("x-bomb"),
      0x7f,
      0xa1,
      0x1e,
      ...new TextEncoder().encode(value),
    );
    const block = new Uint8Array(literal.length + 10000).fill(0xbe);
    block.set(literal);
    const decoder = new HpackDecoder({ maxHeaderListSize: 16384 });
    const out: string[] = [];
    assert.throws(() => decoder.decode(block, out), (error: unknown) => {
      assert.ok(error instanceof HeaderListTooLargeError);
      assert.equal(error.scope, "stream");
      assert.equal(error.status, 431);
      return true;
    });
    // Four fields of 4038 octets fit in 16384; the list stopped growing there.
    assert.equal(out.length, 8);
    // The block was read to its end: the table holds the entry, the next block decodes.
    assert.deepEqual(decoder.decode(Uint8Array.of(0x82, 0xbe)), [
      ":method",
      "GET",
      "x-bomb",
      value,
    ]);
  });

  it("counts name + value + 32 per field, refusing one octet over", () => {
    // ":method: GET" counts 7 + 3 + 32 = 42.
    assert.deepEqual(
      new HpackDecoder({ maxHeaderListSize: 84 }).decode(Uint8Array.of(0x82, 0x82)).length,
      4,
    );
    assert.throws(
      () => new HpackDecoder({ maxHeaderListSize: 83 }).decode(Uint8Array.of(0x82, 0x82)),
      HeaderListTooLargeError,
    );
  });
});

describe("HpackEncoder", () => {
  it("round-trips random header lists through a decoder, block after block", () => {
    const next = random(7);
    const names = [
      "content-type",
      "x-custom",
      "cache-control",
      "set-cookie",
      "etag",
      "vary",
      "age",
    ];
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder({ maxHeaderListSize: 1 << 20 });
    for (let block = 0; block < 300; block++) {
      if (block % 50 === 49) {
        // The peer changes its SETTINGS_HEADER_TABLE_SIZE now and then.
        const size = Math.floor(next() * 4097);
        encoder.setPeerMaxTableSize(size);
      }
      const fields: [string, string][] = [[":status", String(200 + Math.floor(next() * 4))]];
      const count = Math.floor(next() * 8);
      for (let i = 0; i < count; i++) {
        const name = names[Math.floor(next() * names.length)];
        const length = Math.floor(next() * (next() < 0.1 ? 3000 : 30));
        let value = "";
        for (let j = 0; j < length; j++) {
          value += String.fromCharCode(0x20 + Math.floor(next() * 95));
        }
        fields.push([name, value.trim()]);
      }
      assert.deepEqual(pairs(decoder.decode(encoder.encode(fields))), fields, `block ${block}`);
      assert.equal(decoder.tableSize, encoder.tableSize, `table size after block ${block}`);
    }
  });

  it("encodes a flat list equal to the last one to the same bytes, unless the table moved since", () => {
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    // One array changed in place between blocks, as the session's response fields are.
    const fields = [":status", "200", "content-length", "5"];
    const block = (): Uint8Array => {
      const bytes = encoder.encode(fields).slice();
      assert.deepEqual(decoder.decode(bytes), fields);
      assert.equal(decoder.tableSize, encoder.tableSize);
      return bytes;
    };
    const first = block(); // a static index and a literal not indexed: the table stays empty
    assert.deepEqual(block(), first);
    fields[3] = "6";
    assert.notDeepEqual(block(), first);
    fields.push("x-a", "1"); // added to the table: the same list next time is an index
    const adding = block();
    const indexed = block();
    assert.ok(indexed.length < adding.length, "x-a taken from the table the second time");
    assert.deepEqual(block(), indexed);
    encoder.setPeerMaxTableSize(0); // the table emptied: a size update, x-a a literal again
    const updated = block();
    assert.equal(updated[0], 0x20);
    assert.equal(decoder.tableSize, 0);
    assert.notDeepEqual(block(), updated, "the size update is sent once");
  });

  it("indexes repeated response fields, so a second response is a few octets", () => {
    const encoder = new HpackEncoder();
    const fields: [string, string][] = [
      [":status", "200"],
      ["content-type", "text/html; charset=utf-8"],
      ["server", "hussar"],
      ["cache-control", "no-store"],
    ];
    const first = encoder.encode(fields).length;
    const second = encoder.encode(fields);
    assert.ok(first > 20);
    assert.deepEqual(Array.from(second), [0x88, 0xc0, 0xbf, 0xbe]);
  });

  it("sends credentials and cookies never-indexed, and keeps them out of its table", () => {
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    for (const name of ["set-cookie", "authorization"]) {
      const block = encoder.encode([[name, "secret=1"]]);
      assert.equal(block[0] & 0xf0, 0x10, `${name}: never indexed (§6.2.3)`);
      assert.deepEqual(decoder.decode(block), [name, "secret=1"]);
      assert.equal(encoder.encode([[name, "secret=1"]])[0] & 0xf0, 0x10, "not an index either");
    }
    assert.equal(encoder.tableSize, 0);
    assert.equal(decoder.tableSize, 0);
  });

  it("does not index values that change with each response, nor values over half the table", () => {
    const encoder = new HpackEncoder();
    encoder.encode([["content-length", "123"], ["etag", '"abc"'], ["x-big", "b".repeat(3000)]]);
    assert.equal(encoder.tableSize, 0);
  });

  it("lower-cases names (RFC 9113 §8.2.1)", () => {
    const block = new HpackEncoder().encode([["X-Custom", "1"], ["Content-Type", "a"]]);
    assert.deepEqual(new HpackDecoder().decode(block), ["x-custom", "1", "content-type", "a"]);
  });

  it("uses Huffman coding only when shorter, and not at all when told", () => {
    const huffman = new HpackEncoder().encode([["x", "aaaa"]]);
    // "x" codes to 7 bits, no shorter than raw; "aaaa" to 20 bits in 3 octets.
    assert.deepEqual(Array.from(huffman), [0x40, 0x01, 0x78, 0x83, 0x18, 0xc6, 0x3f]);
    const raw = new HpackEncoder({ huffman: false }).encode([["x", "aaaa"]]);
    assert.deepEqual(Array.from(raw), [0x40, 0x01, 0x78, 0x04, 0x61, 0x61, 0x61, 0x61]);
    // "~~~" codes to 13 bits each: longer than raw, so raw is sent.
    const tilde = new HpackEncoder().encode([["x", "~~~"]]);
    assert.deepEqual(Array.from(tilde.subarray(tilde.length - 4)), [0x03, 0x7e, 0x7e, 0x7e]);
  });

  it("signals a smaller peer table at the start of the next block (min, then final)", () => {
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    decoder.decode(encoder.encode([["server", "hussar"]]));
    assert.equal(decoder.tableSize, 44); // "server" + "hussar" + 32
    encoder.setPeerMaxTableSize(0);
    encoder.setPeerMaxTableSize(1024);
    const block = encoder.encode([["server", "hussar"]]);
    assert.deepEqual(Array.from(block.subarray(0, 4)), [0x20, 0x3f, 0xe1, 0x07]);
    assert.deepEqual(decoder.decode(block), ["server", "hussar"]);
    assert.equal(decoder.maxTableSize, 1024);
    assert.equal(decoder.tableSize, 44, "evicted by the 0, added again");
  });

  it("tells the decoder at once when its own table is smaller than 4096", () => {
    const block = new HpackEncoder({ maxTableSize: 0 }).encode([["server", "hussar"]]);
    assert.equal(block[0], 0x20);
    const decoder = new HpackDecoder();
    decoder.decode(block);
    assert.equal(decoder.tableSize, 0);
  });

  it("refuses characters that are not octets", () => {
    assert.throws(() => new HpackEncoder().encode([["x", "\u20ac"]]), TypeError);
  });
});

describe("HpackDecoder: arbitrary bytes", () => {
  it("either decode or throw a typed HTTP/2 error, never anything else", () => {
    const next = random(16);
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const block = Uint8Array.from({ length: 1 + Math.floor(next() * 40) }, () => next() * 256);
      // Half the blocks start like real ones: a few valid fields first.
      if (i % 2 === 0) block.set([0x82, 0x86, 0x84].slice(0, block.length));
      const decoder = new HpackDecoder({ maxHeaderListSize: 256, maxTableSize: 128 });
      try {
        decoder.decode(block);
        decoder.decode(block); // again, against the table the first pass left
      } catch (error) {
        assert.ok(
          error instanceof CompressionError || error instanceof HeaderListTooLargeError,
          String(error),
        );
        refused++;
      }
      assert.ok(decoder.tableSize <= 128);
    }
    assert.ok(refused > 1000, `${refused} refused`);
  });
});
