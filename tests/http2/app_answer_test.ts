/**
 * What a core-API `Http2App` answers decides its stream alone: an app that
 * gives no response (null or undefined, at once or through a Promise) is
 * the application's fault, reported through `onError`, and its stream gets
 * a 500 while the connection's other streams are served.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  CONNECTION_PREFACE,
  type Http2Exchange,
  http2Handler,
  serializeHeaders,
  serializeSettings,
} from "../../http2/mod.ts";
import type { HttpResponse } from "../../httputil/mod.ts";
import { Hussar } from "../../core/hussar.ts";
import { FakeSource } from "../../sources/fake.ts";
import { concatBytes } from "../../internal/bytes.ts";
import { until } from "../_until.ts";
import { streamAnswers } from "./_h2.ts";

/** `GET <path>` over http for `a.test`, every field a literal without indexing (RFC 7541 §6.2.2). */
function get(path: string): Uint8Array {
  const literal = (index: number, value: string) => [
    index,
    value.length,
    ...new TextEncoder().encode(value),
  ];
  return Uint8Array.from([0x82, 0x86, ...literal(0x04, path), ...literal(0x01, "a.test")]);
}

describe("HTTP/2 core API: an app that gives no response", () => {
  it("gets a 500 on that stream, reported as the app's error, for null and undefined, at once or by a Promise", async () => {
    const errors: unknown[] = [];
    const answers: Record<string, () => HttpResponse | Promise<HttpResponse>> = {
      "/null": () => null as unknown as HttpResponse,
      "/undefined": () => undefined as unknown as HttpResponse,
      "/later-null": () => Promise.resolve(null as unknown as HttpResponse),
      "/ok": () => ({ status: 200, body: "ok" }),
    };
    const app = (exchange: Http2Exchange) => answers[exchange.head.target]();
    const hussar = new Hussar({
      handler: http2Handler(app, { onError: (error) => errors.push(error) }),
      logger: false,
    });
    const source = new FakeSource();
    hussar.attachSource(source);
    try {
      const client = source.connect();
      client.write(concatBytes([
        CONNECTION_PREFACE,
        serializeSettings({}),
        serializeHeaders(1, get("/null"), true),
        serializeHeaders(3, get("/undefined"), true),
        serializeHeaders(5, get("/later-null"), true),
        serializeHeaders(7, get("/ok"), true),
      ]));
      const got = await streamAnswers(client, [1, 3, 5, 7]);
      assert.deepEqual([1, 3, 5, 7].map((id) => got.get(id)!.status), ["500", "500", "500", "200"]);
      assert.equal(errors.length, 3);
      for (const error of errors) {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /the app returned no response/);
      }
      client.end();
      // Nothing is left: no connection, no thread but the core's manager.
      await until(
        () => hussar.connectionCount === 0 && hussar.scheduler.threadCount <= 1,
        10_000,
        "the core to hold nothing",
      );
    } finally {
      await hussar.close();
    }
  });
});
