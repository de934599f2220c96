import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  CONNECTION_PREFACE,
  dataFrameHeader,
  ErrorCode,
  FrameFlag,
  FrameParser,
  type FrameParserOptions,
  FrameType,
  Http2Error,
  isPreface,
  serializeData,
  serializeFrame,
  serializeGoaway,
  serializeHeaders,
  serializePing,
  serializeRstStream,
  serializeSettings,
  serializeWindowUpdate,
  SettingId,
  SETTINGS_ACK,
} from "../../http2/mod.ts";
import { concat, parseChunks, parseEveryWay, random } from "./_h2.ts";

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const { END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY } = FrameFlag;

/** A SETTINGS payload from `[id, value, ...]`. */
function settingsPayload(...pairs: number[]): Uint8Array {
  const out = new Uint8Array(pairs.length * 3);
  for (let i = 0; i < pairs.length; i += 2) {
    const at = i * 3;
    out[at] = pairs[i] >>> 8;
    out[at + 1] = pairs[i];
    new DataView(out.buffer).setUint32(at + 2, pairs[i + 1]);
  }
  return out;
}

/**
 * Asserts that parsing `input` throws an Http2Error with `code` and `scope`
 * (whole, and pushed one byte at a time: the error must not depend on the split).
 */
function refuses(
  input: Uint8Array,
  code: number,
  scope: "stream" | "connection",
  options: FrameParserOptions = { preface: false },
): void {
  for (const chunks of [[input], Array.from(input, (b) => Uint8Array.of(b))]) {
    assert.throws(() => parseChunks(chunks, options), (error: unknown) => {
      assert.ok(error instanceof Http2Error, String(error));
      assert.equal(error.code, code, error.message);
      assert.equal(error.scope, scope, error.message);
      return true;
    });
  }
}

describe("FrameParser: every frame type, whole and split at every byte (RFC 9113 §6)", () => {
  it("DATA, plain and padded, with END_STREAM (§6.1)", () => {
    const frames = parseEveryWay(concat(
      serializeFrame(FrameType.DATA, 0, 1, text("hello")),
      serializeFrame(FrameType.DATA, PADDED | END_STREAM, 3, bytes(3, 0x61, 0x62, 0, 0, 0)),
      serializeFrame(FrameType.DATA, END_STREAM, 5),
    ));
    assert.deepEqual(frames, [
      { type: 0, streamId: 1, endStream: false, data: [...text("hello")], flowLength: 5 },
      { type: 0, streamId: 3, endStream: true, data: [0x61, 0x62], flowLength: 6 },
      { type: 0, streamId: 5, endStream: true, data: [], flowLength: 0 },
    ]);
  });

  it("HEADERS, plain, padded and with priority (§6.2)", () => {
    const frames = parseEveryWay(concat(
      serializeFrame(FrameType.HEADERS, END_HEADERS | END_STREAM, 1, bytes(0x82, 0x84)),
      serializeFrame(
        FrameType.HEADERS,
        END_HEADERS | PADDED | PRIORITY,
        3,
        bytes(2, 0x80, 0, 0, 1, 15, 0x82, 0, 0),
      ),
    ));
    assert.deepEqual(frames, [
      {
        type: 1,
        streamId: 1,
        endStream: true,
        priority: null,
        headerBlock: [0x82, 0x84],
        streamError: null,
      },
      {
        type: 1,
        streamId: 3,
        endStream: false,
        priority: { exclusive: true, dependency: 1, weight: 16 },
        headerBlock: [0x82],
        streamError: null,
      },
    ]);
  });

  it("HEADERS with CONTINUATION frames, joined into one block (§6.10)", () => {
    const frames = parseEveryWay(concat(
      serializeFrame(FrameType.HEADERS, END_STREAM | PADDED, 1, bytes(1, 0x82, 0)),
      serializeFrame(FrameType.CONTINUATION, 0, 1, bytes(0x86)),
      serializeFrame(FrameType.CONTINUATION, 0, 1),
      serializeFrame(FrameType.CONTINUATION, END_HEADERS, 1, bytes(0x84, 0x41)),
      serializeFrame(FrameType.DATA, END_STREAM, 1, text("x")),
    ));
    assert.equal(frames.length, 2);
    assert.deepEqual(frames[0].headerBlock, [0x82, 0x86, 0x84, 0x41]);
    assert.equal(frames[0].endStream, true);
    assert.equal(frames[1].type, FrameType.DATA);
  });

  it("PRIORITY, RST_STREAM, PING, GOAWAY, WINDOW_UPDATE (§6.3, §6.4, §6.7-6.9)", () => {
    const frames = parseEveryWay(concat(
      serializeFrame(FrameType.PRIORITY, 0, 3, bytes(0, 0, 0, 1, 255)),
      serializeFrame(FrameType.RST_STREAM, 0, 3, bytes(0, 0, 0, 8)),
      serializeFrame(FrameType.PING, ACK, 0, bytes(1, 2, 3, 4, 5, 6, 7, 8)),
      serializeFrame(FrameType.GOAWAY, 0, 0, bytes(0x80, 0, 0, 5, 0, 0, 0, 11, 0x68, 0x69)),
      serializeFrame(FrameType.WINDOW_UPDATE, 0, 0, bytes(0x80, 0, 1, 0)),
      serializeFrame(FrameType.WINDOW_UPDATE, 0, 7, bytes(0x7f, 0xff, 0xff, 0xff)),
    ));
    assert.deepEqual(frames, [
      { type: 2, streamId: 3, priority: { exclusive: false, dependency: 1, weight: 256 } },
      { type: 3, streamId: 3, errorCode: ErrorCode.CANCEL },
      { type: 6, streamId: 0, ack: true, data: [1, 2, 3, 4, 5, 6, 7, 8] },
      // The reserved bit of the last stream id is ignored.
      { type: 7, streamId: 0, lastStreamId: 5, errorCode: 11, debugData: [0x68, 0x69] },
      { type: 8, streamId: 0, increment: 256 },
      { type: 8, streamId: 7, increment: 0x7fffffff },
    ]);
  });

  it("SETTINGS with parameters and ACK, unknown parameters kept in order (§6.5)", () => {
    const frames = parseEveryWay(concat(
      serializeFrame(
        FrameType.SETTINGS,
        0,
        0,
        settingsPayload(
          SettingId.INITIAL_WINDOW_SIZE,
          0x7fffffff,
          0x99,
          7,
          SettingId.ENABLE_PUSH,
          0,
        ),
      ),
      SETTINGS_ACK,
    ));
    assert.deepEqual(frames, [
      { type: 4, streamId: 0, ack: false, parameters: [4, 0x7fffffff, 0x99, 7, 2, 0] },
      { type: 4, streamId: 0, ack: true, parameters: [] },
    ]);
  });

  it("PUSH_PROMISE, padded, with CONTINUATION, for a client-side parser (§6.6)", () => {
    const frames = parseEveryWay(
      concat(
        serializeFrame(FrameType.PUSH_PROMISE, PADDED, 1, bytes(1, 0, 0, 0, 2, 0x82, 0)),
        serializeFrame(FrameType.CONTINUATION, END_HEADERS, 1, bytes(0x84)),
      ),
      { preface: false, acceptPushPromise: true },
    );
    assert.deepEqual(frames, [{
      type: 5,
      streamId: 1,
      promisedStreamId: 2,
      headerBlock: [0x82, 0x84],
    }]);
  });

  it("skips unknown frame types, and ignores unknown flags and the reserved bit (§4.1, §5.5)", () => {
    const frames = parseEveryWay(concat(
      serializeFrame(0xfa, 0xff, 1, text("extension")),
      bytes(0, 0, 1, FrameType.DATA, 0xf6, 0x80, 0, 0, 1, 0x7a), // flags without END_STREAM/PADDED
      serializeFrame(0x0a, 0, 0),
    ));
    assert.deepEqual(frames, [
      { type: 0, streamId: 1, endStream: false, data: [0x7a], flowLength: 1 },
    ]);
  });

  it("keeps DATA views valid while frames straddle reads", () => {
    const parser = new FrameParser({ preface: false });
    const wire = concat(serializeData(1, text("abc"), false), serializeData(1, text("def"), true));
    parser.push(wire.slice(0, 14));
    const first = parser.next();
    assert.equal(parser.buffered, 2);
    parser.push(wire.slice(14));
    const second = parser.next();
    assert.equal(parser.next(), null);
    assert.ok(first?.type === FrameType.DATA && second?.type === FrameType.DATA);
    assert.equal(new TextDecoder().decode(first.data), "abc");
    assert.equal(new TextDecoder().decode(second.data), "def");
  });
});

describe("FrameParser: the connection preface (RFC 9113 §3.4)", () => {
  it("reads the preface, then requires SETTINGS as the first frame", () => {
    const frames = parseEveryWay(
      concat(CONNECTION_PREFACE, serializeSettings({}), serializePing(new Uint8Array(8))),
      {},
    );
    assert.deepEqual(frames.map((f) => f.type), [FrameType.SETTINGS, FrameType.PING]);
  });

  it("refuses other bytes at the first octet that differs", () => {
    const parser = new FrameParser();
    parser.push(text("PRI * HTTP/2.0\r\n"));
    assert.equal(parser.next(), null);
    refuses(text("GET / HTTP/1.1\r\n"), ErrorCode.PROTOCOL_ERROR, "connection", {});
    refuses(text("PRI * HTTP/1.1"), ErrorCode.PROTOCOL_ERROR, "connection", {});
  });

  it("refuses a first frame other than SETTINGS, or a SETTINGS ACK", () => {
    refuses(
      concat(CONNECTION_PREFACE, serializePing(new Uint8Array(8))),
      ErrorCode.PROTOCOL_ERROR,
      "connection",
      {},
    );
    refuses(concat(CONNECTION_PREFACE, SETTINGS_ACK), ErrorCode.PROTOCOL_ERROR, "connection", {});
  });

  it("isPreface tells HTTP/2 from HTTP/1.1 on the first bytes", () => {
    assert.equal(isPreface(CONNECTION_PREFACE.subarray(0, 1)), null);
    assert.equal(isPreface(concat(CONNECTION_PREFACE, bytes(0, 0))), true);
    assert.equal(isPreface(text("POST / HTTP/1.1")), false);
    assert.equal(isPreface(text("PRI / HTTP/1.1")), false);
  });
});

describe("FrameParser: errors, each with its code (RFC 9113 §4.2, §6, §7)", () => {
  const P = ErrorCode.PROTOCOL_ERROR;
  const F = ErrorCode.FRAME_SIZE_ERROR;

  it("a frame above SETTINGS_MAX_FRAME_SIZE, refused on its header alone", () => {
    const parser = new FrameParser({ preface: false });
    parser.push(bytes(0, 0x40, 0x01, FrameType.DATA, 0, 0, 0, 0, 1)); // 16385 octets announced
    assert.throws(() => parser.next(), (e: unknown) => e instanceof Http2Error && e.code === F);
    // After the peer acknowledges a larger SETTINGS_MAX_FRAME_SIZE, the size is accepted.
    const larger = new FrameParser({ preface: false });
    larger.setMaxFrameSize(1 << 20);
    larger.push(serializeData(1, new Uint8Array(16385), true));
    assert.equal(larger.next()?.type, FrameType.DATA);
  });

  it("DATA: on stream 0, too short for its pad length, padding as long as the payload", () => {
    refuses(serializeFrame(FrameType.DATA, 0, 0, text("x")), P, "connection");
    refuses(serializeFrame(FrameType.DATA, PADDED, 1), F, "connection");
    refuses(serializeFrame(FrameType.DATA, PADDED, 1, bytes(3, 1, 2)), P, "connection");
    refuses(serializeFrame(FrameType.DATA, PADDED, 1, bytes(1)), P, "connection");
    // Pad length = payload - 1 is the most there may be.
    assert.deepEqual(
      parseEveryWay(serializeFrame(FrameType.DATA, PADDED, 1, bytes(2, 0, 0)))[0].data,
      [],
    );
  });

  it("HEADERS: on stream 0, padding beyond the block, too short for priority", () => {
    refuses(serializeFrame(FrameType.HEADERS, END_HEADERS, 0, bytes(0x82)), P, "connection");
    refuses(
      serializeFrame(FrameType.HEADERS, END_HEADERS | PADDED, 1, bytes(2, 0x82)),
      P,
      "connection",
    );
    refuses(
      serializeFrame(
        FrameType.HEADERS,
        END_HEADERS | PADDED | PRIORITY,
        1,
        bytes(1, 0, 0, 0, 0, 1),
      ),
      P,
      "connection",
    );
    refuses(
      serializeFrame(FrameType.HEADERS, END_HEADERS | PRIORITY, 1, bytes(0, 0, 0)),
      F,
      "connection",
    );
  });

  it("HEADERS depending on its own stream: the block is delivered with a stream error (§5.3.1)", () => {
    const [frame] = parseEveryWay(
      serializeFrame(FrameType.HEADERS, END_HEADERS | PRIORITY, 3, bytes(0, 0, 0, 3, 15, 0x82)),
    );
    assert.deepEqual(frame.headerBlock, [0x82]);
    const error = frame.streamError as Http2Error;
    assert.ok(error instanceof Http2Error);
    assert.equal(error.code, P);
    assert.equal(error.scope, "stream");
    assert.equal(error.streamId, 3);
  });

  it("PRIORITY: on stream 0; wrong size or self-dependency are stream errors, parsing goes on", () => {
    refuses(serializeFrame(FrameType.PRIORITY, 0, 0, bytes(0, 0, 0, 1, 1)), P, "connection");
    refuses(serializeFrame(FrameType.PRIORITY, 0, 1, bytes(0, 0, 0, 3)), F, "stream");
    refuses(serializeFrame(FrameType.PRIORITY, 0, 3, bytes(0, 0, 0, 3, 1)), P, "stream");
    const parser = new FrameParser({ preface: false });
    parser.push(concat(
      serializeFrame(FrameType.PRIORITY, 0, 1, bytes(0, 0, 0, 3, 1, 9)),
      serializePing(new Uint8Array(8)),
    ));
    assert.throws(() => parser.next(), (e: unknown) => e instanceof Http2Error && e.streamId === 1);
    assert.equal(parser.next()?.type, FrameType.PING);
  });

  it("RST_STREAM: on stream 0, not 4 octets", () => {
    refuses(serializeRstStream(0, 0), P, "connection");
    refuses(serializeFrame(FrameType.RST_STREAM, 0, 1, bytes(0, 0, 0)), F, "connection");
    refuses(serializeFrame(FrameType.RST_STREAM, 0, 1, bytes(0, 0, 0, 0, 0)), F, "connection");
  });

  it("SETTINGS: on a stream, not a multiple of 6, ACK with a payload", () => {
    refuses(serializeFrame(FrameType.SETTINGS, 0, 1), P, "connection");
    refuses(serializeFrame(FrameType.SETTINGS, 0, 0, bytes(0, 1, 0, 0, 0)), F, "connection");
    refuses(serializeFrame(FrameType.SETTINGS, ACK, 0, settingsPayload(1, 0)), F, "connection");
  });

  it("SETTINGS values out of range (§6.5.2)", () => {
    const setting = (id: number, value: number) =>
      serializeFrame(FrameType.SETTINGS, 0, 0, settingsPayload(id, value));
    refuses(setting(SettingId.ENABLE_PUSH, 2), P, "connection");
    refuses(
      setting(SettingId.INITIAL_WINDOW_SIZE, 2 ** 31),
      ErrorCode.FLOW_CONTROL_ERROR,
      "connection",
    );
    refuses(setting(SettingId.MAX_FRAME_SIZE, 16383), P, "connection");
    refuses(setting(SettingId.MAX_FRAME_SIZE, 2 ** 24), P, "connection");
    refuses(setting(SettingId.ENABLE_CONNECT_PROTOCOL, 2), P, "connection");
    // The bounds themselves are fine.
    for (const [id, value] of [[2, 1], [4, 2 ** 31 - 1], [5, 16384], [5, 2 ** 24 - 1]]) {
      assert.equal(parseEveryWay(setting(id, value)).length, 1);
    }
  });

  it("PUSH_PROMISE sent to a server (§8.4)", () => {
    refuses(
      serializeFrame(FrameType.PUSH_PROMISE, END_HEADERS, 1, bytes(0, 0, 0, 2)),
      P,
      "connection",
    );
  });

  it("PING: on a stream, not 8 octets", () => {
    refuses(serializeFrame(FrameType.PING, 0, 1, new Uint8Array(8)), P, "connection");
    refuses(serializeFrame(FrameType.PING, 0, 0, new Uint8Array(7)), F, "connection");
    refuses(serializeFrame(FrameType.PING, 0, 0, new Uint8Array(9)), F, "connection");
  });

  it("GOAWAY: on a stream, shorter than 8 octets", () => {
    refuses(serializeFrame(FrameType.GOAWAY, 0, 1, new Uint8Array(8)), P, "connection");
    refuses(serializeFrame(FrameType.GOAWAY, 0, 0, new Uint8Array(7)), F, "connection");
  });

  it("WINDOW_UPDATE: not 4 octets; a 0 increment on the connection or on a stream (§6.9)", () => {
    refuses(serializeFrame(FrameType.WINDOW_UPDATE, 0, 0, bytes(0, 0, 1)), F, "connection");
    refuses(serializeFrame(FrameType.WINDOW_UPDATE, 0, 0, bytes(0, 0, 0, 0)), P, "connection");
    refuses(serializeFrame(FrameType.WINDOW_UPDATE, 0, 1, bytes(0x80, 0, 0, 0)), P, "stream");
  });

  it("CONTINUATION without a block, or a block interrupted by another frame or stream", () => {
    refuses(serializeFrame(FrameType.CONTINUATION, END_HEADERS, 1, bytes(0x82)), P, "connection");
    const open = serializeFrame(FrameType.HEADERS, 0, 1, bytes(0x82));
    refuses(concat(open, serializeData(1, text("x"), false)), P, "connection");
    refuses(
      concat(open, serializeFrame(FrameType.CONTINUATION, END_HEADERS, 3, bytes(0x84))),
      P,
      "connection",
    );
    refuses(concat(open, serializeFrame(0xfa, 0, 1)), P, "connection"); // not even an extension (§5.5)
  });
});

describe("FrameParser: CONTINUATION flood (CVE-2024-27316 class)", () => {
  it("refuses a block growing past the limit on the header of the frame that passes it", () => {
    const parser = new FrameParser({
      preface: false,
      maxHeaderBlockSize: 16384,
      maxContinuationFrames: 1000,
    });
    parser.push(serializeFrame(FrameType.HEADERS, 0, 1, new Uint8Array(1000)));
    assert.equal(parser.next(), null);
    let sent = 1000;
    for (;;) {
      const frame = serializeFrame(FrameType.CONTINUATION, 0, 1, new Uint8Array(1000));
      if (sent + 1000 <= 16384) {
        parser.push(frame);
        assert.equal(parser.next(), null);
        sent += 1000;
        continue;
      }
      // Only the 9-octet header of the frame that would pass the limit has arrived.
      parser.push(frame.subarray(0, 9));
      assert.throws(
        () => parser.next(),
        (e: unknown) =>
          e instanceof Http2Error && e.code === ErrorCode.ENHANCE_YOUR_CALM &&
          e.scope === "connection",
      );
      break;
    }
    assert.equal(sent, 16000);
  });

  it("refuses a HEADERS fragment larger than the limit", () => {
    refuses(
      serializeFrame(FrameType.HEADERS, END_HEADERS, 1, new Uint8Array(101)),
      ErrorCode.ENHANCE_YOUR_CALM,
      "connection",
      { preface: false, maxHeaderBlockSize: 100 },
    );
  });

  it("refuses a flood of empty CONTINUATION frames after 8", () => {
    const frames = [serializeFrame(FrameType.HEADERS, 0, 1, bytes(0x82))];
    for (let i = 0; i < 8; i++) frames.push(serializeFrame(FrameType.CONTINUATION, 0, 1));
    assert.deepEqual(parseChunks(frames), []);
    frames.push(serializeFrame(FrameType.CONTINUATION, 0, 1));
    refuses(concat(...frames), ErrorCode.ENHANCE_YOUR_CALM, "connection");
  });
});

describe("serializers: what the server sends parses back", () => {
  it("DATA, a DATA header for data written apart, RST_STREAM, PING, GOAWAY, WINDOW_UPDATE", () => {
    const frames = parseEveryWay(concat(
      serializeData(1, text("hi"), true),
      dataFrameHeader(3, 3, false),
      text("abc"),
      serializeRstStream(5, ErrorCode.REFUSED_STREAM),
      serializePing(bytes(8, 7, 6, 5, 4, 3, 2, 1), true),
      serializeGoaway(9, ErrorCode.ENHANCE_YOUR_CALM, text("calm")),
      serializeWindowUpdate(1, 1 << 20),
    ));
    assert.deepEqual(frames, [
      { type: 0, streamId: 1, endStream: true, data: [...text("hi")], flowLength: 2 },
      { type: 0, streamId: 3, endStream: false, data: [...text("abc")], flowLength: 3 },
      { type: 3, streamId: 5, errorCode: ErrorCode.REFUSED_STREAM },
      { type: 6, streamId: 0, ack: true, data: [8, 7, 6, 5, 4, 3, 2, 1] },
      { type: 7, streamId: 0, lastStreamId: 9, errorCode: 11, debugData: [...text("calm")] },
      { type: 8, streamId: 1, increment: 1 << 20 },
    ]);
  });

  it("SETTINGS with every parameter, and its ACK", () => {
    const frames = parseEveryWay(concat(
      serializeSettings({
        headerTableSize: 0,
        enablePush: 0,
        maxConcurrentStreams: 100,
        initialWindowSize: 1 << 20,
        maxFrameSize: 1 << 14,
        maxHeaderListSize: 16384,
      }),
      serializeSettings({ maxHeaderListSize: Infinity }),
      SETTINGS_ACK,
    ));
    assert.deepEqual(frames, [
      {
        type: 4,
        streamId: 0,
        ack: false,
        parameters: [1, 0, 2, 0, 3, 100, 4, 1 << 20, 5, 1 << 14, 6, 16384],
      },
      { type: 4, streamId: 0, ack: false, parameters: [] },
      { type: 4, streamId: 0, ack: true, parameters: [] },
    ]);
  });

  it("HEADERS split into CONTINUATION frames at the peer's frame size, joined back", () => {
    const block = Uint8Array.from({ length: 40000 }, (_, i) => i & 0xff);
    const wire = serializeHeaders(7, block, true, 16384);
    assert.equal(wire.length, 40000 + 3 * 9);
    assert.deepEqual([wire[3], wire[4]], [FrameType.HEADERS, END_STREAM]);
    assert.deepEqual([wire[9 + 16384 + 3], wire[9 + 16384 + 4]], [FrameType.CONTINUATION, 0]);
    const [frame] = parseChunks([wire], { preface: false, maxHeaderBlockSize: 40000 });
    assert.deepEqual(frame.headerBlock, Array.from(block));
    assert.equal(frame.endStream, true);
    assert.deepEqual(
      parseChunks([serializeHeaders(1, new Uint8Array(0), false)])[0].headerBlock,
      [],
    );
  });

  it("refuses a PING that is not 8 octets and a WINDOW_UPDATE outside 1..2^31-1", () => {
    assert.throws(() => serializePing(new Uint8Array(4)), RangeError);
    assert.throws(() => serializeWindowUpdate(1, 0), RangeError);
    assert.throws(() => serializeWindowUpdate(1, 2 ** 31), RangeError);
  });
});

describe("FrameParser: arbitrary bytes", () => {
  it("yield frames or throw Http2Error, however they are split, never anything else", () => {
    const next = random(99);
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      // A plausible header (small length, a known type, stream 0 or 1), then random payload bytes.
      const length = Math.floor(next() * 24);
      const type = Math.floor(next() * 11);
      const head = bytes(
        0,
        0,
        length,
        type,
        Math.floor(next() * 256),
        0,
        0,
        0,
        next() < 0.5 ? 0 : 1,
      );
      const input = concat(
        head,
        Uint8Array.from({ length: length + Math.floor(next() * 20) }, () => next() * 256),
      );
      const cut = Math.floor(next() * input.length);
      try {
        parseChunks([input.slice(0, cut), input.slice(cut)]);
      } catch (error) {
        assert.ok(error instanceof Http2Error, String(error));
        refused++;
      }
    }
    assert.ok(refused > 500, `${refused} refused`);
  });
});
