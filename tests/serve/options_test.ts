/** serve()'s options as a user writes them: ports from the environment, typos, Deno's names; what it says it listens on. */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { type HttpServer, serve, type ServeOptions } from "../../serve/mod.ts";
import { boundUrl, clientUrl, listeningMessage } from "../../serve/_url.ts";
import { freePort } from "../sources/_socket_client.ts";

const quiet = { hostname: "127.0.0.1", port: 0, onListen() {} } satisfies ServeOptions;
const hello = (): Response => new Response("hello");

/** serve() as untyped code calls it (JavaScript, options from JSON or a spread config). */
const serveAny = serve as (...args: unknown[]) => HttpServer;

describe("serve(): the port", () => {
  it("takes a decimal string, as process.env.PORT gives it", async () => {
    const port = await freePort();
    const server = serve({ ...quiet, port: String(port) }, hello);
    try {
      await server.ready;
      assert.equal(server.addr.port, port);
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "hello");
    } finally {
      await server.shutdown();
    }
    const picked = serve({ ...quiet, port: "0" }, hello);
    await picked.ready;
    assert.ok(picked.addr.port > 0);
    await picked.shutdown();
  });

  it("refuses any other string at once, showing it quoted", () => {
    for (const port of ["0x1F90", "8080a", "", " 8080", "8080\n", "-1", "+80", "1e3", "80.0"]) {
      assert.throws(
        () => serve({ ...quiet, port }, hello),
        (error: Error) =>
          error instanceof TypeError &&
          error.message.includes("`port` must be a whole number from 0 to 65535") &&
          error.message.endsWith(`not ${JSON.stringify(port)}`),
        JSON.stringify(port),
      );
    }
  });

  it("refuses a number or decimal string out of range with a RangeError, and a non-integer", () => {
    assert.throws(
      () => serve({ ...quiet, port: 65536 }, hello),
      { name: "RangeError", message: /not 65536$/ },
    );
    assert.throws(
      () => serve({ ...quiet, port: "70000" }, hello),
      { name: "RangeError", message: /not "70000"$/ },
    );
    assert.throws(
      () => serve({ ...quiet, port: 8080.5 }, hello),
      { name: "TypeError", message: /not 8080.5$/ },
    );
    assert.throws(() => serve({ ...quiet, port: NaN }, hello), {
      name: "TypeError",
      message: /not NaN$/,
    });
  });
});

describe("serve(): option names", () => {
  it("refuses an unknown option, naming it and the likely one", () => {
    assert.throws(
      () => serveAny({ prot: 9999, onListen() {} }, hello),
      { name: "TypeError", message: "serve: unknown option `prot` (did you mean `port`?)" },
    );
    assert.throws(
      () => serveAny({ ...quiet, hostName: "127.0.0.1" }, hello),
      /unknown option `hostName` \(did you mean `hostname`\?\)/,
    );
    assert.throws(
      () => serveAny({ ...quiet, keepAliveTimeout: 1000 }, hello),
      /unknown option `keepAliveTimeout` \(did you mean `keepAliveTimeoutMs`\?\)/,
    );
  });

  it("names the hussar option for Bun.serve's and Deno.serve's own names", () => {
    assert.throws(
      () => serveAny({ ...quiet, unix: "/tmp/s.sock" }, hello),
      /unknown option `unix` \(did you mean path\?\)/,
    );
    assert.throws(
      () => serveAny({ ...quiet, error: () => new Response() }, hello),
      /unknown option `error` \(did you mean onError\?\)/,
    );
    assert.throws(
      () => serveAny({ ...quiet, cert: "", key: "" }, hello),
      /unknown options `cert` \(did you mean tls: \{ cert, key \}\?\), `key` \(did you mean tls/,
    );
  });

  it("names an unknown option without a guess when none is close", () => {
    assert.throws(
      () => serveAny({ ...quiet, verbose: true }, hello),
      { name: "TypeError", message: "serve: unknown option `verbose`" },
    );
  });

  it("takes the handler as `handler`, as Deno.serve names it", async () => {
    const server = serve({ ...quiet, handler: () => new Response("by handler") });
    await server.ready;
    assert.equal(await (await fetch(server.url)).text(), "by handler");
    await server.shutdown();
  });

  it("takes `handler` in worker mode too (no function is sent to the workers)", async () => {
    const server = serve({ ...quiet, workers: 1, handler: () => new Response("by a worker") });
    try {
      await server.ready;
      assert.equal(await (await fetch(server.url)).text(), "by a worker");
    } finally {
      await server.shutdown();
    }
  });

  it("refuses a handler given twice, and none", () => {
    const twice = /give the handler once, as `fetch`, `handler` or the second argument/;
    assert.throws(() => serveAny({ ...quiet, fetch: hello, handler: hello }), twice);
    assert.throws(() => serve({ ...quiet, fetch: hello }, hello), twice);
    assert.throws(() => serve({ ...quiet, handler: hello }, hello), twice);
    assert.throws(() => serveAny(quiet), /needs a fetch handler/);
    assert.throws(
      () => serveAny({ ...quiet, fetch: "not a function" }),
      /handler must be a function, not "not a function"/,
    );
  });
});

describe("serve(): where it says it listens", () => {
  const tcp = (hostname: string) => ({ transport: "tcp" as const, hostname, port: 8000 });

  it("prints the address bound, and for a wildcard also localhost, as Deno.serve does", () => {
    assert.equal(
      listeningMessage(tcp("0.0.0.0"), false),
      "Listening on http://0.0.0.0:8000/ (http://localhost:8000/)",
    );
    assert.equal(
      listeningMessage(tcp("::"), true),
      "Listening on https://[::]:8000/ (https://localhost:8000/)",
    );
    assert.equal(listeningMessage(tcp("127.0.0.1"), false), "Listening on http://127.0.0.1:8000/");
    assert.equal(listeningMessage(tcp("::1"), false), "Listening on http://[::1]:8000/");
    const unix = { transport: "unix" as const, hostname: "", port: 0, path: "/tmp/s.sock" };
    assert.equal(listeningMessage(unix, false), "Listening on unix:/tmp/s.sock");
  });

  it("keeps server.url one a client can fetch: localhost for a wildcard", () => {
    assert.equal(clientUrl(tcp("0.0.0.0"), false), "http://localhost:8000/");
    assert.equal(clientUrl(tcp("::"), false), "http://localhost:8000/");
    assert.equal(boundUrl(tcp("0.0.0.0"), false), "http://0.0.0.0:8000/");
    assert.equal(clientUrl(tcp("::1"), false), "http://[::1]:8000/");
  });

  it("logs the bound address by default", async () => {
    const logged: unknown[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => logged.push(args.join(" "));
    try {
      const server = serve({ hostname: "127.0.0.1", port: 0 }, hello);
      await server.ready;
      assert.deepEqual(logged, [`Listening on http://127.0.0.1:${server.addr.port}/`]);
      await server.shutdown();
    } finally {
      console.log = original;
    }
  });
});
