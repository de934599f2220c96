/**
 * A GET whose head repeats the connection's last one (the engine lends it
 * the fields it kept) is, on Bun, a copy of that head's template `Request`
 * (`serve/_head_template.ts`). Every request is still one of its own: its
 * URL and fields are the head's, what a handler changes in them stays in
 * that request, and one that asks for an upgrade can be upgraded. The same
 * holds on every runtime, template or not.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { Hussar } from "../../core/mod.ts";
import { httpHandler, type IncomingRequest } from "../../httputil/mod.ts";
import type { Connection } from "../../core/mod.ts";
import { fetchApp } from "../../serve/fetch_app.ts";
import type { FetchHandler } from "../../serve/mod.ts";
import { FakeSource } from "../../sources/mod.ts";
import { lentFields } from "../../internal/header_fill.ts";
import { claimUpgrade, type PendingUpgrade } from "../../internal/upgrade.ts";
import { parseResponses } from "../_http.ts";

/**
 * Serves `head` `count` times on one connection, then a last GET that asks
 * to close; the response bodies, and for each request whether the engine
 * lent it a kept head's fields (the case a template is made for).
 */
async function serveRepeated(
  head: string,
  count: number,
  handler: FetchHandler,
): Promise<{ bodies: string[]; lent: boolean[] }> {
  const app = fetchApp(handler);
  const lent: boolean[] = [];
  const hussar = new Hussar({
    handler: httpHandler((incoming: IncomingRequest, conn: Connection) => {
      lent.push(lentFields(incoming.head.headers) !== null);
      return app(incoming, conn);
    }),
  });
  const source = new FakeSource();
  hussar.attachSource(source);
  const client = source.connect();
  client.write(head.repeat(count) + "GET /last HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  const responses = parseResponses(await client.readText());
  await hussar.whenEmpty();
  await hussar.close();
  return { bodies: responses.map((response) => response.body), lent };
}

const HEAD =
  "GET /a?b=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n";

describe("serve: a repeated GET head", () => {
  it("gives each request its own Request: the head's URL and fields, changes to them its own", async () => {
    const { bodies, lent } = await serveRepeated(HEAD, 5, (request) => {
      if (new URL(request.url).pathname === "/last") return new Response("last");
      const seen = JSON.stringify([
        request.method,
        request.url,
        [...request.headers],
        request.signal.aborted,
      ]);
      // A change that a copy sharing its fields with the template would pass on to the next.
      request.headers.set("user-agent", "changed");
      request.headers.append("x-added", "1");
      return new Response(seen);
    });
    const expected = JSON.stringify([
      "GET",
      "http://example.com:8080/a?b=1",
      [["accept", "*/*"], ["host", "example.com:8080"], ["user-agent", "t"]],
      false,
    ]);
    assert.deepEqual(bodies, [...Array(5).fill(expected), "last"]);
    // The engine lent the later heads the fields it kept: those requests are the templates' copies.
    assert.deepEqual(lent, [false, false, true, true, true, false]);
  });

  it("can still be upgraded when it asks for it, and only then", async () => {
    const pending = (): PendingUpgrade => ({
      response: new Response(null, { status: 200 }),
      start: () => Promise.resolve(),
      cancel: () => {},
    });
    const claims: (string | null)[] = [];
    const { lent } = await serveRepeated(
      "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
      4,
      (request) => {
        claims.push(claimUpgrade(request, pending()));
        return new Response("not upgraded");
      },
    );
    assert.deepEqual(lent, [false, false, true, true, false]);
    // Each request asking for an upgrade could be claimed; the last, which does not, could not.
    assert.deepEqual(claims.slice(0, 4), [null, null, null, null]);
    assert.match(String(claims[4]), /did not come from/);
  });
});
