/** serve() on a real socket: lifecycle, shutdown, TLS, Unix sockets, and real clients (fetch, curl). */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HttpServer, serve, type ServeOptions } from "../../serve/mod.ts";
import type { NetAddress } from "../../core/mod.ts";
import { selfSignedCertificate } from "../_tls.ts";
import { answersTo, getText, parseResponses } from "../_http.ts";

const quiet = { hostname: "127.0.0.1", port: 0, onListen() {} } satisfies ServeOptions;
const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function started(
  options: ServeOptions,
  handler: (r: Request) => Response | Promise<Response>,
): Promise<HttpServer> {
  const server = serve({ ...quiet, ...options }, handler);
  await server.ready;
  return server;
}

function curl(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(
      "curl",
      ["-sS", "--max-time", "10", ...args],
      { encoding: "latin1" },
      (error, stdout, stderr) => {
        resolve({ stdout, stderr, code: error ? (error as { code?: number }).code ?? 1 : 0 });
      },
    );
  });
}

/**
 * Sends raw bytes and returns all the server sends until it closes (or resets) the connection;
 * leaves (FIN) once answered, as a FIN while a response is owed means the client gave up.
 */
function rawExchange(port: number, raw: string): Promise<string> {
  const answered = answersTo(raw);
  return new Promise((resolve) => {
    let text = "";
    const socket = connect(port, "127.0.0.1", () => socket.write(raw));
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      text += chunk;
      if (answered(text)) socket.end();
    });
    socket.on("close", () => resolve(text));
    socket.on("error", () => {}); // a reset ends the exchange like a close
  });
}

describe("serve(): listening", () => {
  it("listens on a random port, calls onListen with the address, and gives a URL", async () => {
    let listened: NetAddress | undefined;
    const server = await started(
      { onListen: (addr) => (listened = addr) },
      () => new Response("hi"),
    );
    assert.equal(listened?.port, server.addr.port);
    assert.ok(server.addr.port > 0);
    assert.equal(server.url, `http://127.0.0.1:${server.addr.port}/`);
    assert.equal(await (await fetch(server.url)).text(), "hi");
    await server.shutdown();
    await server.finished;
  });

  it("accepts serve(handler), serve({ fetch }) and serve(options, handler)", async () => {
    const a = serve({ ...quiet, fetch: () => new Response("a") });
    const b = serve(quiet, () => new Response("b"));
    await Promise.all([a.ready, b.ready]);
    assert.equal(await (await fetch(a.url)).text(), "a");
    assert.equal(await (await fetch(b.url)).text(), "b");
    await Promise.all([a.shutdown(), b.shutdown()]);
    assert.throws(() => serve({} as ServeOptions & { fetch: never }), /needs a fetch handler/);
  });

  it("logs the URL by default", async () => {
    const logged: unknown[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => logged.push(args.join(" "));
    try {
      const server = serve({ hostname: "127.0.0.1", port: 0 }, () => new Response());
      await server.ready;
      assert.deepEqual(logged, [`Listening on ${server.url}`]);
      await server.shutdown();
    } finally {
      console.log = original;
    }
  });

  it("rejects ready and finished when the port is taken", async () => {
    const first = await started({}, () => new Response());
    const second = serve({ ...quiet, port: first.addr.port }, () => new Response());
    await assert.rejects(second.ready, { name: "ListenError", code: "EADDRINUSE" });
    await assert.rejects(second.finished, { name: "ListenError", code: "EADDRINUSE" });
    await first.shutdown();
  });

  it("serves HTTPS with a PEM certificate and key", async () => {
    const server = await started(
      { tls: selfSignedCertificate() },
      (request) => new Response(`secure ${request.url}`),
    );
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    const body = await getText({ url: server.url });
    assert.equal(body, `secure https://127.0.0.1:${server.addr.port}/`);
    await server.shutdown();
  });

  it("serves on a Unix socket", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hussar-unix-"));
    const path = join(dir, "s.sock");
    try {
      const server = await started({ path }, () => new Response("over unix"));
      assert.equal(server.addr.transport, "unix");
      assert.equal(server.url, `unix:${path}`);
      const body = await getText({ socketPath: path });
      assert.equal(body, "over unix");
      await server.shutdown();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("serve(): shutdown", () => {
  it("shutdown() finishes in-flight requests with Connection: close, closes idle ones, refuses new ones", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const handling = new Promise<void>((resolve) => (entered = resolve));
    const server = await started({}, async (request) => {
      if (new URL(request.url).pathname === "/slow") {
        entered();
        await gate;
      }
      return new Response("done");
    });
    const port = server.addr.port;
    const idle = connect(port, "127.0.0.1");
    const idleClosed = new Promise<void>((resolve) => idle.on("close", () => resolve()));
    await new Promise<void>((resolve) => idle.on("connect", () => resolve()));
    const inFlight = rawExchange(port, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
    await handling; // in flight, not idle, when the shutdown begins
    const stopping = server.shutdown();
    await idleClosed;
    await assert.rejects(
      new Promise((resolve, reject) =>
        connect(port, "127.0.0.1", resolve as () => void).on("error", reject)
      ),
    );
    release();
    const [response] = parseResponses(await inFlight);
    assert.equal(response.status, 200);
    assert.equal(response.headers.find(([n]) => n === "connection")?.[1], "close");
    await stopping;
    await server.finished;
    assert.equal(server.hussar.connectionCount, 0);
  });

  it("close() aborts connections at once", async () => {
    let entered!: () => void;
    const handling = new Promise<void>((resolve) => (entered = resolve));
    const server = await started({}, () => {
      entered();
      return new Promise<Response>(() => {});
    });
    const pending = rawExchange(server.addr.port, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    await handling;
    await server.close();
    assert.equal(await pending, "");
    await server.finished;
  });

  it("shuts down when the signal aborts, and with await using", async () => {
    const controller = new AbortController();
    const server = await started({ signal: controller.signal }, () => new Response());
    controller.abort();
    await server.finished;
    const disposable = await started({}, () => new Response());
    await disposable[Symbol.asyncDispose]();
    await disposable.finished;
  });
});

describe("serve(): real clients", () => {
  it("streams an upload from fetch with duplex: half and reads it as it arrives", async () => {
    const server = await started({}, async (request) => {
      let size = 0;
      for await (const chunk of request.body!) size += chunk.length;
      return new Response(`received ${size}`);
    });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 16; i++) controller.enqueue(new Uint8Array(64 * 1024));
        controller.close();
      },
    });
    const response = await fetch(
      server.url,
      { method: "POST", body, duplex: "half" } as RequestInit,
    );
    assert.equal(await response.text(), `received ${16 * 64 * 1024}`);
    await server.shutdown();
  });

  it("lets fetch abort in the middle of a streamed response", async () => {
    let cancelled!: () => void;
    const wasCancelled = new Promise<void>((resolve) => (cancelled = resolve));
    const server = await started({}, () =>
      new Response(
        new ReadableStream({
          async pull(controller) {
            await tick(5);
            controller.enqueue(new Uint8Array(1024));
          },
          cancel: () => cancelled(),
        }),
      ));
    const controller = new AbortController();
    const response = await fetch(server.url, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await wasCancelled;
    await server.shutdown();
  });

  it("works with curl: keep-alive reuse with --next", async () => {
    const server = await started({}, (request) => new Response(new URL(request.url).pathname));
    const { stdout, stderr } = await curl(["-v", `${server.url}one`, "--next", `${server.url}two`]);
    assert.equal(stdout, "/one/two");
    assert.match(stderr, /Re-using existing connection/i);
    await server.shutdown();
  });

  it("works with curl: Expect: 100-continue and a chunked upload", async () => {
    const server = await started(
      {},
      async (request) => new Response(`${(await request.text()).length}`),
    );
    const dir = mkdtempSync(join(tmpdir(), "hussar-curl-"));
    try {
      const file = join(dir, "up.bin");
      writeFileSync(file, new Uint8Array(200_000));
      const expect = await curl([
        "-v",
        "-H",
        "Expect: 100-continue",
        "--data-binary",
        `@${file}`,
        server.url,
      ]);
      assert.equal(expect.stdout, "200000");
      assert.match(expect.stderr, /HTTP\/1\.1 100 Continue/);
      const chunked = await curl([
        "-H",
        "Transfer-Encoding: chunked",
        "--data-binary",
        `@${file}`,
        server.url,
      ]);
      assert.equal(chunked.stdout, "200000");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await server.shutdown();
  });

  it("works with curl: a slow client (--limit-rate) gets the whole response", async () => {
    const server = await started({}, () => new Response(new Uint8Array(256 * 1024).fill(97)));
    const { stdout } = await curl(["--limit-rate", "200k", server.url]);
    assert.equal(stdout.length, 256 * 1024);
    await server.shutdown();
  });
});
