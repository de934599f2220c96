/**
 * The engine's own reads of a parsed head's fields by a constant name (the
 * request URL's Host, whether it asks for an upgrade) lower no name per
 * request: `toLowerCase` makes a new string each call on V8, changed or
 * not. Counted by wrapping `String.prototype.toLowerCase` around the call;
 * the runtime's own `Headers` may lower the names it is given, so `serve()`
 * is counted for the one name only the engine asked for (`upgrade`, in a
 * request that has none).
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { Hussar } from "../../core/mod.ts";
import { HeaderList, httpHandler, requestUrl } from "../../httputil/mod.ts";
import { fetchApp } from "../../serve/fetch_app.ts";
import { FakeSource } from "../../sources/mod.ts";
import { parseResponses } from "../_http.ts";

const INFO = {
  tls: false,
  remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 50000 },
  localAddr: { transport: "tcp", hostname: "127.0.0.1", port: 8000 },
} as const;

/** Runs `body` with `toLowerCase` counted; the receivers it was called on. */
async function lowered(body: () => unknown): Promise<string[]> {
  const own = String.prototype.toLowerCase;
  const seen: string[] = [];
  String.prototype.toLowerCase = function (this: string): string {
    seen.push(String(this));
    return own.call(this);
  };
  try {
    await body();
  } finally {
    String.prototype.toLowerCase = own;
  }
  return seen;
}

describe("reads of a head's fields by constant name", () => {
  it("requestUrl finds Host without lowering a name", async () => {
    const headers = new HeaderList({ Host: "example.com" });
    let url = "";
    const seen = await lowered(() => url = requestUrl({ target: "/a?b", headers }, INFO));
    assert.equal(url, "http://example.com/a?b");
    assert.deepEqual(seen, []);
  });

  it("serve()'s exchange looks for Upgrade without lowering its name", async () => {
    const hussar = new Hussar({
      handler: httpHandler(fetchApp(() => new Response("ok"), { logger: false }), {
        logger: false,
      }),
    });
    const source = new FakeSource();
    hussar.attachSource(source);
    const responses: number[] = [];
    const seen = await lowered(async () => {
      for (let i = 0; i < 3; i++) {
        const client = source.connect();
        client.write("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
        for (const { status } of parseResponses(await client.readText())) responses.push(status);
      }
    });
    await hussar.whenEmpty();
    await hussar.close();
    assert.deepEqual(responses, [200, 200, 200]);
    assert.deepEqual(seen.filter((name) => name === "upgrade"), []);
  });

  it("HeaderList.get still matches any case, and joins repeated fields", () => {
    const headers = new HeaderList([["Accept", "a"], ["ACCEPT", "b"], ["Set-Cookie", "c=1"], [
      "set-cookie",
      "d=2",
    ]]);
    assert.equal(headers.get("accept"), "a, b");
    assert.equal(headers.get("aCCept"), "a, b");
    assert.equal(headers.get("SET-COOKIE"), "c=1");
    assert.equal(headers.get("upgrade"), null);
  });
});
