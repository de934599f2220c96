/**
 * A session keeps the last request head it validated with its header
 * block, and gives a new stream whose block is the same bytes, decoded with
 * the same HPACK state, a copy of that head instead of decoding and
 * validating it again. The copy must be what decoding would give (RFC 7541
 * §3.2: the dynamic table decides what an index means) and a list of its
 * own, whatever the app did with the last one.
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
import { Hussar } from "../../core/hussar.ts";
import { FakeSource } from "../../sources/fake.ts";
import { concatBytes } from "../../internal/bytes.ts";
import { streamAnswers } from "./_h2.ts";

const text = (s: string): number[] => [...new TextEncoder().encode(s)];

/** GET / over http (static entries 2, 6, 4), then the given representation of `:authority`. */
const get = (authority: number[]): Uint8Array => Uint8Array.from([0x82, 0x86, 0x84, ...authority]);
/** `:authority` (static name 1) as a literal added to the dynamic table (§6.2.1). */
const added = (value: string): number[] => [0x41, value.length, ...text(value)];
/** The newest dynamic table entry (index 62, §2.3.3). */
const NEWEST = [0xbe];

/** Answers with the head it got as JSON (Host looked up by another case), then edits that head's list. */
function echoHead(exchange: Http2Exchange): { status: number; body: string } {
  const { head } = exchange;
  const body = JSON.stringify({
    authority: head.authority,
    target: head.target,
    host: head.headers.get("Host"),
    headers: [...head.headers],
  });
  head.headers.append("x-added-by-the-app", "1");
  head.headers.set("host", "changed.by.the.app");
  head.headers.delete("HOST");
  return { status: 200, body };
}

describe("HTTP/2 request heads of repeated header blocks", () => {
  it("gives a repeated block the head decoding gives, in a list of its own, and follows the dynamic table", async () => {
    const hussar = new Hussar({ handler: http2Handler(echoHead), logger: false });
    const source = new FakeSource();
    hussar.attachSource(source);
    try {
      const client = source.connect();
      const same = get(NEWEST);
      client.write(concatBytes([
        CONNECTION_PREFACE,
        serializeSettings({}),
        serializeHeaders(1, get(added("a.test")), true), // the table: a.test
        serializeHeaders(3, same, true),
        serializeHeaders(5, same, true),
        serializeHeaders(7, same, true),
        serializeHeaders(9, get(added("b.test")), true), // the table: b.test, a.test
        serializeHeaders(11, same, true), // the same bytes now mean b.test
      ]));
      const got = await streamAnswers(client, [1, 3, 5, 7, 9, 11]);
      const heads = [1, 3, 5, 7, 9, 11].map((id) => JSON.parse(got.get(id)!.body));
      const a = { authority: "a.test", target: "/", host: "a.test", headers: [["host", "a.test"]] };
      const b = { authority: "b.test", target: "/", host: "b.test", headers: [["host", "b.test"]] };
      assert.deepEqual(heads, [a, a, a, a, b, b]);
      client.end();
    } finally {
      await hussar.close();
    }
  });
});
