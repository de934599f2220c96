/** Reassembling fragmented messages: order, size limit, UTF-8 (RFC 6455 §5.4, §8.1). */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { OPCODE, ProtocolViolation } from "../../websocket/_frame.ts";
import { MessageAssembler } from "../../websocket/_message.ts";
import { PerMessageDeflate } from "../../websocket/_deflate.ts";
import { deflateRawSync } from "node:zlib";

const encoder = new TextEncoder();
const frame = (opcode: number, payload: Uint8Array | string, fin = true, rsv1 = false) => ({
  opcode,
  fin,
  rsv1,
  payload: typeof payload === "string" ? encoder.encode(payload) : payload,
});

function violation(code: number): (error: unknown) => boolean {
  return (error) => error instanceof ProtocolViolation && error.code === code;
}

describe("MessageAssembler", () => {
  it("passes a single-frame message through", () => {
    const assembler = new MessageAssembler(100);
    assert.deepEqual(assembler.add(frame(OPCODE.text, "hi")), { text: true, data: "hi" });
    const data = new Uint8Array([1, 2]);
    assert.deepEqual(assembler.add(frame(OPCODE.binary, data)), { text: false, data });
  });

  it("joins fragments, a character split across them included", () => {
    const assembler = new MessageAssembler(100);
    const bytes = encoder.encode("héllo €");
    // "é" is 2 bytes at 1..2, "€" 3 bytes at the end: split inside both.
    assert.equal(assembler.add(frame(OPCODE.text, bytes.subarray(0, 2), false)), null);
    assert.equal(
      assembler.add(frame(OPCODE.continuation, bytes.subarray(2, bytes.length - 1), false)),
      null,
    );
    assert.deepEqual(assembler.add(frame(OPCODE.continuation, bytes.subarray(bytes.length - 1))), {
      text: true,
      data: "héllo €",
    });
    assert.equal(assembler.add(frame(OPCODE.binary, new Uint8Array([1]), false)), null);
    assert.equal(assembler.add(frame(OPCODE.continuation, new Uint8Array(0), false)), null);
    assert.deepEqual(assembler.add(frame(OPCODE.continuation, new Uint8Array([2, 3]))), {
      text: false,
      data: new Uint8Array([1, 2, 3]),
    });
  });

  it("keeps a byte-order mark", () => {
    const assembler = new MessageAssembler(100);
    assert.deepEqual(assembler.add(frame(OPCODE.text, new Uint8Array([0xef, 0xbb, 0xbf, 0x41]))), {
      text: true,
      data: "\ufeffA",
    });
  });

  it("refuses a continuation without a message, and a new message inside one (1002)", () => {
    assert.throws(
      () => new MessageAssembler(100).add(frame(OPCODE.continuation, "x")),
      violation(1002),
    );
    const assembler = new MessageAssembler(100);
    assembler.add(frame(OPCODE.text, "a", false));
    assert.throws(() => assembler.add(frame(OPCODE.text, "b")), violation(1002));
  });

  it("refuses invalid UTF-8 at once, without waiting for the last fragment (1007)", () => {
    assert.throws(
      () => new MessageAssembler(100).add(frame(OPCODE.text, new Uint8Array([0xc0, 0x80]))),
      violation(1007),
    );
    const assembler = new MessageAssembler(100);
    assert.throws(
      () => assembler.add(frame(OPCODE.text, new Uint8Array([0x41, 0xff]), false)),
      violation(1007),
    );
    // A truncated sequence at the end of the message.
    const truncated = new MessageAssembler(100);
    truncated.add(frame(OPCODE.text, new Uint8Array([0x41, 0xe2, 0x82]), false));
    assert.throws(
      () => truncated.add(frame(OPCODE.continuation, new Uint8Array(0))),
      violation(1007),
    );
  });

  it("refuses a message whose fragments add up past the limit (1009)", () => {
    const assembler = new MessageAssembler(10);
    assembler.add(frame(OPCODE.binary, new Uint8Array(6), false));
    assert.throws(
      () => assembler.add(frame(OPCODE.continuation, new Uint8Array(5))),
      violation(1009),
    );
  });

  it("inflates a compressed message once whole, within the limit (RFC 7692 §6)", () => {
    const deflate = new PerMessageDeflate({
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    });
    const assembler = new MessageAssembler(100, deflate);
    const text = "é".repeat(50);
    const payload = deflateRawSync(encoder.encode(text), { finishFlush: 2 }).subarray(0, -4);
    assert.equal(assembler.add(frame(OPCODE.text, payload.subarray(0, 2), false, true)), null);
    assert.deepEqual(assembler.add(frame(OPCODE.continuation, payload.subarray(2))), {
      text: true,
      data: text,
    });
    const tooBig = deflateRawSync(encoder.encode(text + "!"), { finishFlush: 2 }).subarray(0, -4);
    assert.throws(() => assembler.add(frame(OPCODE.text, tooBig, true, true)), violation(1009));
    // Uncompressed messages keep the limit exactly, though frames may be a little larger.
    assert.throws(() => assembler.add(frame(OPCODE.binary, new Uint8Array(101))), violation(1009));
  });
});
