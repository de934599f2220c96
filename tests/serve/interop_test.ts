/**
 * hussar among other Fetch code: a Hono application served as it is (by
 * `serve(app.fetch)` and by the CLI), and hussar's `Request`s used the way
 * standard libraries use them (`formData()`, `json()`, `clone()`,
 * `new Request(request)`, forwarding to `fetch()`), on a real socket.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { runCli } from "../../cli.ts";
import { type FetchHandler, type HttpServer, serve } from "../../serve/mod.ts";
import app from "./_hono_app.ts";

const encoder = new TextEncoder();
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "transfer-encoding",
  "upgrade",
];

async function withServer(
  handler: FetchHandler,
  body: (url: string, server: HttpServer) => Promise<void>,
): Promise<void> {
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  await server.ready;
  try {
    await body(server.url, server);
  } finally {
    await server.close();
  }
  assert.equal(server.hussar.connectionCount, 0, "a connection outlived the server");
}

/** A stream of `parts`, each sent only when `gate(i)` (if any) resolves. */
function streamOf(
  parts: string[],
  gate?: (i: number) => Promise<void>,
): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i === parts.length) return controller.close();
      await gate?.(i);
      controller.enqueue(encoder.encode(parts[i++]));
    },
  });
}

/** Rejects with `what` if `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe("a Hono application served by hussar", () => {
  it("serve(app.fetch): routes, params, query, middleware, JSON, forms, streams, 404", async () => {
    await withServer(app.fetch, async (url) => {
      const hello = await fetch(new URL("/hello/ada?greeting=hi", url));
      assert.equal(hello.status, 200);
      assert.equal(hello.headers.get("x-middleware"), "ran");
      assert.equal(await hello.text(), "hello ada, hi");

      const json = await fetch(new URL("/json", url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ list: [1, 2, 3], nested: { ok: true } }),
      });
      assert.equal(json.status, 201);
      assert.deepEqual(await json.json(), {
        received: { list: [1, 2, 3], nested: { ok: true } },
        via: "hono",
      });

      const form = new FormData();
      form.set("field", "value é");
      form.set("upload", new Blob(["file contents\r\n--not a boundary"]), "notes.txt");
      const parsed = await fetch(new URL("/form", url), { method: "POST", body: form });
      assert.deepEqual(await parsed.json(), {
        field: "value é",
        file: "notes.txt",
        text: "file contents\r\n--not a boundary",
      });

      const stream = await fetch(new URL("/stream", url));
      assert.equal(await stream.text(), "part 1\npart 2\npart 3\n");

      const missing = await fetch(new URL("/nowhere", url));
      assert.equal(missing.status, 404);
      assert.equal(await missing.text(), "no route for /nowhere");
    });
  });

  it("hands hussar's handler info to Hono as c.env", async () => {
    await withServer(app.fetch, async (url) => {
      assert.equal(await (await fetch(new URL("/peer", url))).text(), "127.0.0.1");
    });
  });

  it("serves the module's `export default app` through the CLI", async () => {
    const module = new URL(
      `./_hono_app.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`,
      import.meta.url,
    );
    const server = await runCli({ module: module.href, port: 0, hostname: "127.0.0.1" }, () => {});
    try {
      const response = await fetch(new URL("/hello/cli?greeting=hey", server.url));
      assert.equal(await response.text(), "hello cli, hey");
      assert.equal(response.headers.get("x-middleware"), "ran");
    } finally {
      await server.close();
    }
  });
});

describe("hussar's Request and Response with standard Fetch consumers", () => {
  it("request.formData(): multipart (fields and files) and urlencoded", async () => {
    await withServer(async (request) => {
      const form = await request.formData();
      const file = form.get("file");
      const entries = [...form.entries()].map(([name, value]) =>
        typeof value === "string" ? `${name}=${value}` : `${name}=<${value.name}>`
      );
      const text = file instanceof Blob ? await file.text() : "";
      return Response.json({ entries, text });
    }, async (url) => {
      const multipart = new FormData();
      multipart.append("a", "1");
      multipart.append("a", "2");
      multipart.append("file", new Blob([new Uint8Array(70_000).fill(120)]), "x.bin");
      const one = await (await fetch(url, { method: "POST", body: multipart })).json();
      assert.deepEqual(one, { entries: ["a=1", "a=2", "file=<x.bin>"], text: "x".repeat(70_000) });

      const urlencoded = new URLSearchParams({ q: "a b&c", empty: "" });
      const two = await (await fetch(url, { method: "POST", body: urlencoded })).json();
      assert.deepEqual(two, { entries: ["q=a b&c", "empty="], text: "" });
    });
  });

  it("request.json(): parses a body, and a malformed one rejects with a SyntaxError", async () => {
    await withServer(async (request) => {
      try {
        return Response.json({ got: await request.json() });
      } catch (error) {
        return new Response(error instanceof SyntaxError ? "SyntaxError" : String(error), {
          status: 400,
        });
      }
    }, async (url) => {
      const good = await fetch(url, { method: "POST", body: '{"a":[1,"two",null]}' });
      assert.deepEqual(await good.json(), { got: { a: [1, "two", null] } });
      const bad = await fetch(url, { method: "POST", body: '{"a":' });
      assert.equal(bad.status, 400);
      assert.equal(await bad.text(), "SyntaxError");
    });
  });

  it("request.clone() and new Request(request) read the same body; the copy takes new headers", async () => {
    await withServer(async (request) => {
      const copy = request.clone();
      const wrapped = new Request(request, { headers: { "x-added": "yes" } });
      return Response.json({
        url: wrapped.url === request.url,
        method: wrapped.method,
        added: wrapped.headers.get("x-added"),
        wrapped: await wrapped.text(),
        copy: await copy.text(),
      });
    }, async (url) => {
      const body = "y".repeat(100_000);
      const response = await fetch(new URL("/path?q=1", url), { method: "PUT", body });
      assert.deepEqual(await response.json(), {
        url: true,
        method: "PUT",
        added: "yes",
        wrapped: body,
        copy: body,
      });
    });
  });

  it("a stored Response answers many requests through Response.clone()", async () => {
    const stored = new Response(streamOf(["cached ", "streamed ", "body"]), {
      status: 203,
      headers: { "x-cache": "hit" },
    });
    await withServer(() => stored.clone(), async (url) => {
      for (let i = 0; i < 3; i++) {
        const response = await fetch(url);
        assert.equal(response.status, 203);
        assert.equal(response.headers.get("x-cache"), "hit");
        assert.equal(await response.text(), "cached streamed body");
      }
    });
  });

  it("fetch(new Request(upstream, request)) proxies to another hussar server, streaming both ways", async () => {
    // The upstream's second part waits until the client has read the first
    // one through the proxy: a proxy that buffered the response would stall.
    let clientGotFirst: () => void = () => {};
    const firstSeen = new Promise<void>((resolve) => clientGotFirst = resolve);
    const upstream = async (request: Request): Promise<Response> => {
      const received = await request.text();
      const { pathname, search } = new URL(request.url);
      const head =
        `${request.method} ${pathname}${search} x-trace=${request.headers.get("x-trace")} ` +
        `got ${received.length} bytes: ${received.slice(0, 12)}...${received.slice(-6)}\n`;
      return new Response(
        streamOf([head, "second part\n"], (i) => i === 1 ? firstSeen : Promise.resolve()),
        {
          headers: { "content-type": "text/plain", "x-upstream": "yes" },
        },
      );
    };
    await withServer(upstream, async (upstreamUrl) => {
      const proxy = (request: Request): Promise<Response> => {
        const { pathname, search } = new URL(request.url);
        const forwarded = new Request(new URL(pathname + search, upstreamUrl), request);
        // A proxy drops hop-by-hop headers (RFC 9110 §7.6.1). Like Deno.serve and
        // Bun.serve, hussar shows the client's `transfer-encoding: chunked`, which
        // Node's fetch refuses to send ("invalid transfer-encoding header").
        for (const name of HOP_BY_HOP) forwarded.headers.delete(name);
        return fetch(forwarded);
      };
      await withServer(proxy, async (proxyUrl) => {
        // A streamed (chunked) upload of 3 × 40 KB.
        const parts = ["a", "b", "c"].map((c) => c.repeat(40_000));
        const response = await fetch(new URL("/via/proxy?x=1", proxyUrl), {
          method: "POST",
          headers: { "x-trace": "t-1" },
          body: streamOf(parts),
          duplex: "half",
        } as RequestInit);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("x-upstream"), "yes");
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = "";
        while (!text.includes("\n")) {
          const { value, done } = await within(
            reader.read(),
            10_000,
            "the first part through the proxy",
          );
          assert.equal(done, false, `the response ended early: ${text}`);
          text += value;
        }
        assert.equal(
          text,
          `POST /via/proxy?x=1 x-trace=t-1 got 120000 bytes: ${"a".repeat(12)}...${
            "c".repeat(6)
          }\n`,
        );
        clientGotFirst();
        for (let step = await reader.read(); !step.done; step = await reader.read()) {
          text += step.value;
        }
        assert.match(text, /\nsecond part\n$/);
      });
    });
  });
});
