/**
 * Which protocol `serve()` speaks, with no option: HTTP/2 to a cleartext
 * connection that opens with the preface (curl --http2-prior-knowledge) and
 * to TLS clients that pick `h2` by ALPN (curl --http2), HTTP/1.1 to any
 * other; `http2: false` keeps HTTP/1.1 only (the preface is then a bad
 * request). Worker mode negotiates the same way: workers_test.ts.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { connect } from "../sources/_socket_client.ts";
import { serve } from "../../serve/mod.ts";
import { selfSignedCertificate } from "../_tls.ts";
import { CURL, curl, holdsNothing, skipWithout, start } from "./_serve.ts";

const echo = async (request: Request): Promise<Response> =>
  new Response(`${request.method} ${request.url} ${await request.text()}`, {
    headers: { "x-protocol": "any" },
  });

describe("serve() picks HTTP/2 or HTTP/1.1 per connection", () => {
  it(
    "cleartext: a connection opening with the preface speaks HTTP/2 (curl --http2-prior-knowledge)",
    {
      skip: skipWithout(CURL, "curl"),
    },
    async () => {
      const server = await start(echo);
      const url = `http://127.0.0.1:${server.port}/a?b=1`;
      const got = await curl(["--http2-prior-knowledge", url]);
      assert.deepEqual(got, { body: `GET ${url} `, version: "2" });
      const posted = await curl(["--http2-prior-knowledge", "--data-binary", "hello", url]);
      assert.deepEqual(posted, { body: `POST ${url} hello`, version: "2" });
      await holdsNothing(server);
    },
  );

  it("cleartext: any other connection speaks HTTP/1.1 (curl)", {
    skip: skipWithout(CURL, "curl"),
  }, async () => {
    const server = await start(echo);
    const url = `http://127.0.0.1:${server.port}/one`;
    assert.deepEqual(await curl([url]), { body: `GET ${url} `, version: "1.1" });
    await holdsNothing(server);
  });

  it("TLS: ALPN offers h2 before http/1.1 (curl --http2 -k, and --http1.1)", {
    skip: skipWithout(CURL, "curl"),
  }, async () => {
    const server = await start(echo, { tls: selfSignedCertificate() });
    const url = `https://127.0.0.1:${server.port}/secure`;
    assert.deepEqual(await curl(["--http2", "-k", url]), { body: `GET ${url} `, version: "2" });
    assert.deepEqual(
      await curl(["--http2", "-k", "--data-binary", "x".repeat(100_000), url]),
      { body: `POST ${url} ${"x".repeat(100_000)}`, version: "2" },
    );
    assert.deepEqual(await curl(["--http1.1", "-k", url]), { body: `GET ${url} `, version: "1.1" });
    await holdsNothing(server);
  });

  it("http2: false keeps HTTP/1.1: TLS offers only http/1.1, the preface is a bad request", {
    skip: skipWithout(CURL, "curl"),
  }, async () => {
    const secure = await start(echo, { tls: selfSignedCertificate(), http2: false });
    const url = `https://127.0.0.1:${secure.port}/`;
    assert.deepEqual(await curl(["--http2", "-k", url]), { body: `GET ${url} `, version: "1.1" });
    const plain = await start(echo, { http2: false });
    const client = await connect({ host: "127.0.0.1", port: plain.port! });
    await client.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    await client.ended;
    assert.match(client.text(), /^HTTP\/1\.1 (400|505) /);
    await holdsNothing(plain);
  });

  it("refuses an http2 option that is not a boolean", () => {
    assert.throws(
      () => serve({ http2: "yes" as unknown as boolean }, () => new Response()),
      { name: "TypeError", message: 'serve: `http2` must be true or false, not "yes"' },
    );
  });
});
