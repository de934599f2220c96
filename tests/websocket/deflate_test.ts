/** permessage-deflate (RFC 7692): the negotiation of offers and the per-message codec. */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { violation } from "./_violation.ts";
import { createDeflateRaw, deflateRawSync, inflateRawSync } from "node:zlib";
import { concatBytes } from "../../internal/bytes.ts";
import {
  compressedLimit,
  type DeflatePolicy,
  negotiateDeflate,
  PerMessageDeflate,
} from "../../websocket/_deflate.ts";

const POLICY: DeflatePolicy = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};
const SYNC_FLUSH = { finishFlush: 2 }; // zlib.constants.Z_SYNC_FLUSH
const TAIL = new Uint8Array([0, 0, 0xff, 0xff]);
const encoder = new TextEncoder();

/** The answer to `offer` under `policy`, or null when declined. */
function answer(offer: string | null, policy: Partial<DeflatePolicy> = {}): string | null {
  return negotiateDeflate(offer, { ...POLICY, ...policy })?.header ?? null;
}

/** Inflates one message as a client without context takeover would (§7.2.2). */
function inflate(payload: Uint8Array): Uint8Array {
  const input = new Uint8Array(payload.length + 4);
  input.set(payload);
  input.set(TAIL, payload.length);
  return inflateRawSync(input, SYNC_FLUSH);
}

describe("negotiateDeflate (RFC 7692 §5, §7.1)", () => {
  it("accepts a bare offer, and what browsers and ws offer, with the parameters needed", () => {
    assert.equal(answer("permessage-deflate"), "permessage-deflate");
    assert.equal(answer("permessage-deflate; client_max_window_bits"), "permessage-deflate");
    assert.equal(
      answer("permessage-deflate; client_max_window_bits", { clientMaxWindowBits: 10 }),
      "permessage-deflate; client_max_window_bits=10",
    );
    assert.equal(
      answer("Permessage-Deflate;Server_No_Context_Takeover ; client_no_context_takeover"),
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    );
  });

  it("honours the client's window limits and its own, whichever is smaller", () => {
    const offer = "permessage-deflate; server_max_window_bits=12; client_max_window_bits=11";
    assert.equal(
      answer(offer),
      "permessage-deflate; server_max_window_bits=12; client_max_window_bits=11",
    );
    assert.equal(
      answer(offer, { serverMaxWindowBits: 10, clientMaxWindowBits: 9 }),
      "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9",
    );
    assert.equal(
      answer('permessage-deflate; server_max_window_bits="10"'),
      "permessage-deflate; server_max_window_bits=10",
    );
    const agreement = negotiateDeflate(offer, { ...POLICY, serverMaxWindowBits: 10 });
    assert.deepEqual(agreement?.params, {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 11,
    });
  });

  it("adds the server's own choices to any offer it accepts", () => {
    assert.equal(
      answer("permessage-deflate", {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 11,
      }),
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; " +
        "server_max_window_bits=11",
    );
  });

  it("declines offers it cannot honour and takes the next acceptable one", () => {
    for (
      const offer of [
        "permessage-deflate; server_max_window_bits", // needs a value
        "permessage-deflate; server_max_window_bits=8", // zlib has no 256-byte raw window
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; client_max_window_bits=7",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
        "permessage-deflate; x_unknown",
        "x-webkit-deflate-frame",
        "",
      ]
    ) {
      assert.equal(answer(offer), null, offer);
    }
    assert.equal(answer(null), null);
    // A client that cannot limit its window is declined by a server that wants it limited.
    assert.equal(answer("permessage-deflate", { clientMaxWindowBits: 12 }), null);
    assert.equal(
      answer(
        'foo; a="x,y", permessage-deflate; server_max_window_bits=8, ' +
          "permessage-deflate; server_max_window_bits=9",
      ),
      "permessage-deflate; server_max_window_bits=9",
    );
  });
});

describe("PerMessageDeflate", () => {
  const params = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  };
  const text = encoder.encode("a message that repeats itself, ".repeat(64));

  it("compresses a message into raw deflate without the sync-flush tail (§7.2.1)", () => {
    const codec = new PerMessageDeflate({ ...params, serverNoContextTakeover: true });
    const compressed = codec.compress(text)!;
    assert.ok(compressed.length < text.length / 10, `${compressed.length} bytes`);
    assert.notDeepEqual([...compressed.subarray(-4)], [...TAIL]);
    assert.ok(Buffer.from(inflate(compressed)).equals(Buffer.from(text)));
    // No context takeover: the same message compresses to the same bytes, standalone.
    assert.deepEqual(codec.compress(text), compressed);
    assert.equal(codec.historyBytes, 0);
  });

  it("sends what deflate cannot shrink uncompressed, leaving no history", () => {
    const codec = new PerMessageDeflate(params);
    const noise = crypto.getRandomValues(new Uint8Array(4096));
    assert.equal(codec.compress(noise), null);
    assert.equal(codec.historyBytes, 0);
  });

  it("inflates messages compressed with context takeover by a real zlib stream", async () => {
    const x = encoder.encode("x".repeat(20_000));
    const y = encoder.encode("y".repeat(40_000));
    const messages = [text, text, x, text.subarray(5, 900), y, x];
    const payloads = await compressAsAStream(messages);
    assert.ok(payloads[1].length < payloads[0].length / 2, "the stream refers to earlier messages");
    const codec = new PerMessageDeflate(params);
    for (const [i, payload] of payloads.entries()) {
      const out = codec.decompress([payload], payload.length, 1 << 20);
      assert.ok(Buffer.from(out).equals(Buffer.from(messages[i])));
    }
    assert.equal(codec.historyBytes, 32768, "the receive history is one 32 KiB window");
  });

  it("keeps a window of 2^clientMaxWindowBits, and none without client context takeover", () => {
    const small = new PerMessageDeflate({ ...params, clientMaxWindowBits: 9 });
    const none = new PerMessageDeflate({ ...params, clientNoContextTakeover: true });
    const payload = deflateRawSync(text, SYNC_FLUSH).subarray(0, -4);
    for (const codec of [small, none]) {
      assert.ok(
        Buffer.from(codec.decompress([payload], payload.length, 1 << 20)).equals(Buffer.from(text)),
      );
    }
    assert.equal(small.historyBytes, 512);
    assert.equal(none.historyBytes, 0);
  });

  it("inflates a message split into fragments anywhere", () => {
    const codec = new PerMessageDeflate(params);
    const payload = deflateRawSync(text, SYNC_FLUSH).subarray(0, -4);
    const parts = [payload.subarray(0, 1), payload.subarray(1, 7), payload.subarray(7)];
    assert.ok(
      Buffer.from(codec.decompress(parts, payload.length, 1 << 20)).equals(Buffer.from(text)),
    );
  });

  it("refuses a zip bomb with 1009 at the limit, and bad deflate data with 1007", () => {
    const codec = new PerMessageDeflate(params);
    const exact = deflateRawSync(new Uint8Array(1000), SYNC_FLUSH).subarray(0, -4);
    assert.equal(codec.decompress([exact], exact.length, 1000).length, 1000);
    assert.throws(() => codec.decompress([exact], exact.length, 999), violation(1009, /999/));
    // 512 MiB of zeros in about 512 KiB: refused once 1 MiB is out, never inflated whole.
    const segment = deflateRawSync(new Uint8Array(16 << 20), SYNC_FLUSH);
    const bomb = Array.from({ length: 32 }, () => segment);
    const size = segment.length * 32;
    assert.ok(size < compressedLimit(1 << 20), `${size} compressed bytes`);
    assert.throws(() => codec.decompress(bomb, size, 1 << 20), violation(1009, /inflates past/));
    assert.throws(
      () => codec.decompress([new Uint8Array([0xff, 0xff, 0xff])], 3, 1 << 20),
      violation(1007, /not valid deflate data/),
    );
  });
});

/** What a client with context takeover sends: one deflate stream, sync-flushed per message. */
async function compressAsAStream(messages: Uint8Array[]): Promise<Uint8Array[]> {
  const stream = createDeflateRaw();
  const chunks: Uint8Array[] = [];
  stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
  const payloads: Uint8Array[] = [];
  for (const message of messages) {
    stream.write(message);
    await new Promise<void>((resolve) => stream.flush(2, () => resolve())); // Z_SYNC_FLUSH
    const flushed = concatBytes(chunks.splice(0));
    payloads.push(flushed.subarray(0, flushed.length - 4));
  }
  stream.close();
  return payloads;
}
