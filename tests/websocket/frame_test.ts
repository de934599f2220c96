/** RFC 6455 §5 framing: the incremental parser and the serialiser. */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { violation } from "./_violation.ts";
import {
  closePayload,
  encodeFrame,
  type Frame,
  FrameParser,
  isValidCloseCode,
  OPCODE,
  parseClosePayload,
} from "../../websocket/_frame.ts";
import { concatBytes } from "../../internal/bytes.ts";

const MASK = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
const server = (maxPayload = 1 << 20) => new FrameParser({ masked: true, maxPayload });

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

describe("FrameParser", () => {
  it("reads the RFC 6455 §5.7 masked 'Hello' example", () => {
    const frames = server().push(
      bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
    );
    assert.equal(frames.length, 1);
    assert.equal(frames[0].fin, true);
    assert.equal(frames[0].opcode, OPCODE.text);
    assert.equal(new TextDecoder().decode(frames[0].payload), "Hello");
  });

  it("reads a fragmented unmasked message on a client parser (§5.7 example)", () => {
    const client = new FrameParser({ masked: false, maxPayload: 100 });
    const frames = client.push(bytes(0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f));
    assert.deepEqual(frames.map((f) => [f.fin, f.opcode, new TextDecoder().decode(f.payload)]), [
      [false, OPCODE.text, "Hel"],
      [true, OPCODE.continuation, "lo"],
    ]);
  });

  it("gives the same frames however the bytes are split (every split point, then byte by byte)", () => {
    const payloads = [0, 1, 125, 126, 127, 65535, 65536, 70000].map((n) =>
      Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff)
    );
    const stream = concatBytes([
      ...payloads.map((p, i) =>
        encodeFrame(i % 2 ? OPCODE.binary : OPCODE.text, p, { mask: MASK })
      ),
      encodeFrame(OPCODE.ping, bytes(1, 2, 3), { mask: MASK }),
      encodeFrame(OPCODE.close, closePayload(1000, "bye"), { mask: MASK }),
    ]);
    const expected = server().push(stream);
    assert.equal(expected.length, payloads.length + 2);
    payloads.forEach((p, i) => assert.deepEqual(expected[i].payload, p));
    // Every split point of a stream holding each length encoding (7-bit, 16-bit, 64-bit).
    const small = concatBytes([
      encodeFrame(OPCODE.text, bytes(104, 105), { mask: MASK }),
      encodeFrame(OPCODE.binary, new Uint8Array(300).fill(9), { mask: MASK }),
      encodeFrame(OPCODE.binary, new Uint8Array(65536).fill(5), { mask: MASK }),
      encodeFrame(OPCODE.pong, new Uint8Array(0), { mask: MASK }),
    ]);
    const whole = server().push(small);
    // Every byte up to and through the 64-bit header and around each frame boundary; a stride
    // through the long payload, where every offset is handled by the same copy.
    const bigStart = encodeFrame(OPCODE.text, bytes(104, 105), { mask: MASK }).length +
      encodeFrame(OPCODE.binary, new Uint8Array(300).fill(9), { mask: MASK }).length;
    const points = [...Array(small.length + 1).keys()].filter((at) =>
      at < bigStart + 64 || at > small.length - 64 || at % 251 === 0
    );
    for (const at of points) {
      const parser = server();
      const frames = [...parser.push(small.subarray(0, at)), ...parser.push(small.subarray(at))];
      assert.deepEqual(frames, whole, `split at ${at}`);
      assert.ok(parser.idle);
    }
    const parser = server();
    const oneByOne: Frame[] = [];
    for (let i = 0; i < stream.length; i++) {
      oneByOne.push(...parser.push(stream.subarray(i, i + 1)));
    }
    assert.deepEqual(oneByOne, expected);
  });

  it("round-trips what encodeFrame writes, 64-bit lengths included", () => {
    const payload = new Uint8Array(70000).map((_, i) => i & 0xff);
    const frame = encodeFrame(OPCODE.binary, payload, { fin: false, mask: MASK });
    assert.equal(frame[1] & 0x7f, 127);
    const [parsed] = server().push(frame);
    assert.equal(parsed.fin, false);
    assert.deepEqual(parsed.payload, payload);
    // A server frame: no mask bit, no key.
    const plain = encodeFrame(OPCODE.text, bytes(1, 2, 3));
    assert.deepEqual(plain, bytes(0x81, 0x03, 1, 2, 3));
  });

  it("refuses an unmasked client frame and a masked server frame (1002)", () => {
    assert.throws(() => server().push(bytes(0x81, 0x01, 0x41)), violation(1002, /must be masked/));
    const client = new FrameParser({ masked: false, maxPayload: 10 });
    assert.throws(
      () => client.push(encodeFrame(OPCODE.text, bytes(0x41), { mask: MASK })),
      violation(1002, /must not be masked/),
    );
  });

  it("refuses reserved bits and unknown opcodes (1002)", () => {
    for (const b0 of [0xc1, 0xa1, 0x91]) {
      assert.throws(() => server().push(bytes(b0, 0x80, 0, 0, 0, 0)), violation(1002, /reserved/));
    }
    for (const opcode of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
      assert.throws(
        () => server().push(bytes(0x80 | opcode, 0x80, 0, 0, 0, 0)),
        violation(1002, /unknown opcode/),
      );
    }
  });

  it("takes RSV1 on a message's first frame once permessage-deflate is on (RFC 7692 §6)", () => {
    const parser = new FrameParser({ masked: true, maxPayload: 1 << 20, rsv1: true });
    const first = encodeFrame(OPCODE.text, bytes(1, 2), { fin: false, mask: MASK, rsv1: true });
    assert.equal(first[0], 0x41);
    const frames = parser.push(
      concatBytes([first, encodeFrame(OPCODE.continuation, bytes(3), { mask: MASK })]),
    );
    assert.deepEqual(frames.map((f) => [f.opcode, f.rsv1, f.fin]), [
      [OPCODE.text, true, false],
      [OPCODE.continuation, false, true],
    ]);
    assert.deepEqual([...frames[0].payload], [1, 2]);
  });

  it("refuses RSV1 without the extension, on a control frame or a continuation (1002)", () => {
    const compressed = encodeFrame(OPCODE.binary, bytes(1), { mask: MASK, rsv1: true });
    assert.throws(() => server().push(compressed), violation(1002, /reserved bits/));
    const deflating = () => new FrameParser({ masked: true, maxPayload: 1 << 20, rsv1: true });
    assert.throws(
      () => deflating().push(encodeFrame(OPCODE.ping, bytes(1), { mask: MASK, rsv1: true })),
      violation(1002, /RSV1 set on a control frame/),
    );
    const parser = deflating();
    parser.push(encodeFrame(OPCODE.text, bytes(1), { fin: false, mask: MASK, rsv1: true }));
    assert.throws(
      () => parser.push(encodeFrame(OPCODE.continuation, bytes(1), { mask: MASK, rsv1: true })),
      violation(1002, /RSV1 set on a continuation frame/),
    );
    for (const b0 of [0xa1, 0x91]) {
      assert.throws(
        () => deflating().push(bytes(b0, 0x80, 0, 0, 0, 0)),
        violation(1002, /reserved/),
      );
    }
  });

  it("refuses fragmented control frames and control payloads over 125 bytes (1002)", () => {
    assert.throws(
      () => server().push(encodeFrame(OPCODE.ping, bytes(1), { fin: false, mask: MASK })),
      violation(1002, /fragmented/),
    );
    assert.throws(
      () => server().push(encodeFrame(OPCODE.close, new Uint8Array(126), { mask: MASK })),
      violation(1002, /over 125/),
    );
    // 125 is fine.
    assert.equal(
      server().push(encodeFrame(OPCODE.ping, new Uint8Array(125), { mask: MASK })).length,
      1,
    );
  });

  it("refuses non-minimal and top-bit lengths (1002)", () => {
    assert.throws(
      () => server().push(bytes(0x82, 0xfe, 0x00, 0x7d, 0, 0, 0, 0)),
      violation(1002, /minimally/),
    );
    assert.throws(
      () => server().push(bytes(0x82, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0)),
      violation(1002, /minimally/),
    );
    assert.throws(
      () => server().push(bytes(0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
      violation(1002, /top bit/),
    );
  });

  it("refuses a frame over the limit from its header alone (1009)", () => {
    const parser = server(1000);
    // Header announcing 2^40 bytes, no payload sent: refused before any allocation.
    assert.throws(
      () => parser.push(bytes(0x82, 0xff, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4)),
      violation(1009, /over the 1000 limit/),
    );
    assert.throws(
      () => server(1000).push(encodeFrame(OPCODE.binary, new Uint8Array(1001), { mask: MASK })),
      violation(1009, /1001 bytes/),
    );
  });
});

describe("close frames", () => {
  it("encode and decode code and reason; an empty payload means 1005", () => {
    assert.deepEqual(parseClosePayload(closePayload(1000, "done")), { code: 1000, reason: "done" });
    assert.deepEqual(parseClosePayload(closePayload(undefined)), { code: 1005, reason: "" });
    assert.deepEqual(parseClosePayload(closePayload(4001, "ü")), { code: 4001, reason: "ü" });
  });

  it("refuse a 1-byte payload and codes that must not travel (1002), and bad UTF-8 (1007)", () => {
    assert.throws(() => parseClosePayload(bytes(3)), violation(1002, /1 byte/));
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000]) {
      assert.throws(
        () => parseClosePayload(closePayload(code)),
        violation(1002, /invalid close code/),
      );
    }
    assert.throws(
      () => parseClosePayload(bytes(0x03, 0xe8, 0xff, 0xfe)),
      violation(1007, /UTF-8/),
    );
  });

  it("accept the registered and private codes", () => {
    for (
      const code of [
        1000,
        1001,
        1002,
        1003,
        1007,
        1008,
        1009,
        1010,
        1011,
        1012,
        1013,
        1014,
        3000,
        4999,
      ]
    ) {
      assert.ok(isValidCloseCode(code), String(code));
    }
  });
});
