/**
 * Request trailers (RFC 9113 §8.1): a HEADERS block after DATA that ends
 * the stream. The session validates them and gives them to an
 * `Http2App` as `exchange.body.trailers`, as HTTP/1.1's `BodyReader`
 * gives chunked trailers; through `serve()` they end the body (a `Request`
 * has no trailers), and invalid ones reset their stream only.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  CONNECTION_PREFACE,
  type DataFrame,
  ErrorCode,
  type Frame,
  FrameType,
  HpackEncoder,
  type Http2Exchange,
  http2Handler,
  type RstStreamFrame,
  serializeData,
  serializeHeaders,
  serializeSettings,
} from "../../http2/mod.ts";
import { Hussar } from "../../core/hussar.ts";
import { FakeSource } from "../../sources/fake.ts";
import { concatBytes } from "../../internal/bytes.ts";
import { holdsNothing, RawClient, start } from "./_serve.ts";
import { streamAnswers } from "./_h2.ts";

const text = (bytes: string): Uint8Array => new TextEncoder().encode(bytes);

/** The app below: the body, then what the trailers say, as `body|x-checksum|count`. */
async function echoTrailers(exchange: Http2Exchange): Promise<{ status: number; body: string }> {
  const body = exchange.body!;
  const read = await new Response(body.stream()).text();
  const { trailers } = body;
  return { status: 200, body: `${read}|${trailers.get("x-checksum")}|${trailers.size}` };
}

describe("HTTP/2 request trailers (RFC 9113 §8.1)", () => {
  it("an Http2App gets the trailers that ended the body, and none when DATA ended it", async () => {
    const hussar = new Hussar({ handler: http2Handler(echoTrailers), logger: false });
    const source = new FakeSource();
    hussar.attachSource(source);
    try {
      const client = source.connect();
      const encoder = new HpackEncoder();
      const post = (id: number): Uint8Array =>
        serializeHeaders(
          id,
          encoder.encode([
            [":method", "POST"],
            [":scheme", "http"],
            [":authority", "a.test"],
            [":path", "/"],
          ]),
          false,
        );
      // Blocks encoded in the order they are sent: the HPACK state is shared.
      const one = post(1);
      const trailers = serializeHeaders(
        1,
        encoder.encode([["x-checksum", "42"], ["x-count", "2"]]),
        true,
      );
      const three = post(3);
      client.write(concatBytes([
        CONNECTION_PREFACE,
        serializeSettings({}),
        one,
        serializeData(1, text("with"), false),
        trailers,
        three,
        serializeData(3, text("without"), true),
      ]));
      const got = await streamAnswers(client, [1, 3]);
      assert.equal(got.get(1)!.body, "with|42|2");
      assert.equal(got.get(3)!.body, "without|null|0");
      client.end();
    } finally {
      await hussar.close();
    }
  });

  it("through serve(): trailers end the body; invalid ones reset their stream only, and the handler is not blamed", async () => {
    const errors: unknown[] = [];
    const server = await start(async (request) => new Response(await request.text()), {
      logger: false,
      onError(error) {
        errors.push(error);
        return new Response("application error", { status: 500 });
      },
    });
    const raw = await RawClient.connect(server.port!);
    const on = (id: number, type: number) => (f: Frame): boolean =>
      f.streamId === id && f.type === type;
    try {
      for (
        const [id, fields] of [
          [1, [[":path", "/"]]],
          [3, [["connection", "close"]]],
          [5, [["te", "gzip"]]],
        ] as const
      ) {
        raw.send(
          raw.headers(id, "POST", "/", false),
          serializeData(id, text("body"), false),
          serializeHeaders(id, raw.encoder.encode(fields), true),
        );
        const reset = await raw.next(on(id, FrameType.RST_STREAM)) as RstStreamFrame;
        assert.equal(reset.errorCode, ErrorCode.PROTOCOL_ERROR, `stream ${id}`);
      }
      raw.send(
        raw.headers(7, "POST", "/", false),
        serializeData(7, text("still served"), false),
        serializeHeaders(7, raw.encoder.encode([["x-checksum", "1"]]), true),
      );
      const data = await raw.next((f) =>
        on(7, FrameType.DATA)(f) && (f as DataFrame).endStream
      ) as DataFrame;
      assert.equal(new TextDecoder().decode(data.data), "still served");
      assert.deepEqual(errors, [], "a client's fault was reported as the application's");
    } finally {
      raw.close();
    }
    await holdsNothing(server);
  });
});
