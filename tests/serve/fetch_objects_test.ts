/**
 * What `serve()` asks of the runtime's Fetch objects per exchange. A
 * `Response` made with a string is sent as that string without asking the
 * runtime's `bodyUsed` where that would make its body a stream (Deno), and
 * a body read before it is sent is still refused. On Deno, a URL's template
 * `Request` has no signal, so its copies are made with no init (see
 * serve/_request_template.ts) and follow no signal of its.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { Hussar } from "../../core/mod.ts";
import { httpHandler } from "../../httputil/mod.ts";
import { fetchApp } from "../../serve/fetch_app.ts";
import type { FetchHandler } from "../../serve/mod.ts";
import { FROM_TEMPLATE, requestInput } from "../../serve/_request_template.ts";
import { FakeSource } from "../../sources/mod.ts";
import { parseResponses } from "../_http.ts";

const DENO = "Deno" in globalThis;
const BUN = "Bun" in globalThis;

/**
 * Serves `count` GETs of `path` with `Host: h` and the field lines `fields`
 * on one connection (the last asks to close), or with `apart` each on a
 * connection of its own that it asks to close (as the churn benchmark
 * sends); the responses.
 */
async function serveGets(
  handler: FetchHandler,
  count: number,
  path = "/",
  fields = "",
  apart = false,
): Promise<{ status: number; body: string }[]> {
  const hussar = new Hussar({
    handler: httpHandler(fetchApp(handler, { logger: false }), { logger: false }),
  });
  const source = new FakeSource();
  hussar.attachSource(source);
  const get = `GET ${path} HTTP/1.1\r\nHost: h\r\n${fields}`;
  const close = `${get}Connection: close\r\n\r\n`;
  const responses: { status: number; body: string }[] = [];
  for (const text of apart ? Array(count).fill(close) : [`${get}\r\n`.repeat(count - 1) + close]) {
    const client = source.connect();
    client.write(text);
    for (const { status, body } of parseResponses(await client.readText())) {
      responses.push({ status, body });
    }
  }
  await hussar.whenEmpty();
  await hussar.close();
  return responses;
}

/**
 * Runs `body` with the runtime's `Response.prototype.bodyUsed` counted; the
 * count, or `null` where the getter cannot be replaced (Bun).
 */
async function countingBodyUsed(body: () => Promise<void>): Promise<number | null> {
  const prototype = Response.prototype;
  const own = Object.getOwnPropertyDescriptor(prototype, "bodyUsed")!;
  if (!own.configurable) {
    await body();
    return null;
  }
  let reads = 0;
  Object.defineProperty(prototype, "bodyUsed", {
    ...own,
    get(this: Response): boolean {
      reads++;
      return own.get!.call(this);
    },
  });
  try {
    await body();
  } finally {
    Object.defineProperty(prototype, "bodyUsed", own);
  }
  return reads;
}

/**
 * Serves `count` GETs of a fresh path with the field lines `fields` (see
 * `serveGets`, `apart` too); for each request, the `Headers.prototype.append` calls made
 * before its handler ran, the names they were given, and its fields. Each
 * handler also changes its request's fields, which must not reach the next
 * request.
 */
async function appendsPerRequest(
  fields: string,
  count: number,
  apart = false,
): Promise<{ appends: number[]; names: string[][]; fields: [string, string][][] }> {
  const prototype = Headers.prototype;
  const append = prototype.append;
  let calls = 0;
  let names: string[] = [];
  prototype.append = function (this: Headers, name: string, value: string): void {
    calls++;
    names.push(name);
    append.call(this, name, value);
  };
  const seen = {
    appends: [] as number[],
    names: [] as string[][],
    fields: [] as [string, string][][],
  };
  try {
    const responses = await serveGets(
      (request) => {
        seen.appends.push(calls);
        seen.names.push(names);
        seen.fields.push([...request.headers]);
        calls = 0;
        names = [];
        request.headers.set("x-changed", "by the handler");
        return new Response("ok");
      },
      count,
      `/fields-${Math.random()}`,
      fields,
      apart,
    );
    assert.deepEqual(responses.map(({ status }) => status), Array(count).fill(200));
  } finally {
    prototype.append = append;
  }
  return seen;
}

describe("serve: the Fetch objects of an exchange", () => {
  it("sends a string body without asking the runtime's bodyUsed (Deno, Node)", async () => {
    let responses: { status: number; body: string }[] = [];
    const reads = await countingBodyUsed(async () => {
      responses = await serveGets(() => new Response("hello"), 3);
    });
    assert.deepEqual(responses, Array(3).fill({ status: 200, body: "hello" }));
    // Deno's `bodyUsed` makes the body a stream; Node's lazy responses answer it themselves.
    assert.equal(reads, BUN ? null : 0);
  });

  it("refuses a string body read before it is sent, or sent twice", async () => {
    const sent = new Response("once");
    assert.deepEqual(await serveGets(() => sent, 1), [{ status: 200, body: "once" }]);
    assert.equal((await serveGets(() => sent, 1))[0].status, 500);
    const read = await serveGets(async () => {
      const response = new Response("read");
      await response.text();
      return response;
    }, 1);
    assert.equal(read[0].status, 500);
  });

  it("copies a URL's template with no init on Deno, following no signal of the template's", async () => {
    const url = `http://h/template-${Math.random()}`;
    assert.equal(requestInput(url), url); // seen once: no template
    const template = requestInput(url);
    if (!DENO) {
      assert.equal(template, url);
      return;
    }
    assert.ok(template instanceof Request);
    assert.equal(FROM_TEMPLATE, undefined);
    assert.equal(template.signal, null);
    const copy = new Request(template);
    assert.equal(copy.url, url);
    assert.ok(copy.signal instanceof AbortSignal);
    assert.equal(copy.signal.aborted, false);
    // And through serve(): every request to the URL is its own, its signal the exchange's.
    const seen: [string, boolean, string | null][] = [];
    const responses = await serveGets(
      (request) => {
        seen.push([request.url, request.signal.aborted, request.headers.get("host")]);
        request.headers.set("host", "changed"); // must not reach the next request
        return new Response("ok");
      },
      3,
      "/copied",
    );
    assert.deepEqual(responses.map(({ status }) => status), [200, 200, 200]);
    assert.deepEqual(seen, Array(3).fill(["http://h/copied", false, "h"]));
  });

  it("copies a repeated GET head's fields with its template on Deno: no field appended, each request its own", async () => {
    const { appends, fields } = await appendsPerRequest("", 6);
    // The last head asks to close: its fields differ, and are appended one by one (names sorted).
    const host: [string, string][] = [["host", "h"]];
    assert.deepEqual(fields, [...Array(5).fill(host), [["connection", "close"], ...host]]);
    // Deno: seen once (no template), twice (the URL's), three times (its fields' template made),
    // then copied with the fields. Bun copies a connection's repeated head (_head_template.ts).
    assert.deepEqual(appends, DENO || BUN ? [1, 1, 1, 0, 0, 2] : [1, 1, 1, 1, 1, 2]);
  });

  it("copies the template of a URL's GET head with its fields for each new connection on Deno and Bun", async () => {
    const { appends, fields } = await appendsPerRequest("User-Agent: t\r\n", 5, true);
    const expected: [string, string][] = [["connection", "close"], ["host", "h"], [
      "user-agent",
      "t",
    ]];
    assert.deepEqual(fields, Array(5).fill(expected)); // the handler's change reached no other
    // Seen once (no template), twice (the URL's, fields kept), three times (the template with the
    // fields made: its appends), then copied. Bun builds the second from the URL: a bare
    // template's copy and its appends cost more there; its connection's kept head is new.
    assert.deepEqual(appends, DENO || BUN ? [3, 3, 3, 0, 0] : [3, 3, 3, 3, 3]);
  });

  it("keeps no template of fields too long to keep (Deno): each is appended", async () => {
    const cookie = "c".repeat(2100);
    const { appends, fields } = await appendsPerRequest(`Cookie: ${cookie}\r\n`, 5);
    assert.deepEqual(fields[0], [["cookie", cookie], ["host", "h"]]);
    assert.deepEqual(appends, [2, 2, 2, 2, 3]);
  });

  it("appends a head's fields by their lower-case names, as the parser keeps them", async () => {
    // Given lower, Node's undici neither lowers a name again nor hashes a fresh string for its Map.
    const { appends, names, fields } = await appendsPerRequest(
      "User-Agent: Wrk/4\r\nX-Mixed-Case: V\r\n",
      2,
    );
    const lower = ["host", "user-agent", "x-mixed-case"];
    assert.deepEqual(names[0], lower.slice(0, appends[0]));
    assert.deepEqual(names[1], [...lower, "connection"].slice(0, appends[1]));
    // Every runtime appends the first head's fields (Bun copies a repeated head's template).
    assert.equal(appends[0], 3);
    assert.deepEqual(fields[0], [["host", "h"], ["user-agent", "Wrk/4"], ["x-mixed-case", "V"]]);
  });

  it("gives each GET its own head's fields when heads to one URL alternate", async () => {
    const seen: string[] = [];
    const hussar = new Hussar({
      handler: httpHandler(
        fetchApp((request) => {
          seen.push(JSON.stringify([...request.headers]));
          return new Response("ok");
        }),
      ),
    });
    const source = new FakeSource();
    hussar.attachSource(source);
    const client = source.connect();
    const path = `/alternate-${Math.random()}`;
    const heads = ["A", "A", "A", "B", "B", "A", "B", "A", "A"].map((x) => `X-H: ${x}\r\n`);
    client.write(
      heads.map((field) => `GET ${path} HTTP/1.1\r\nHost: h\r\n${field}\r\n`).join("") +
        `GET ${path} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(parseResponses(await client.readText()).length, heads.length + 1);
    await hussar.whenEmpty();
    await hussar.close();
    assert.deepEqual(seen, [
      ...heads.map((field) => JSON.stringify([["host", "h"], ["x-h", field[5]]])),
      JSON.stringify([["connection", "close"], ["host", "h"]]),
    ]);
  });
});
