/**
 * Worker mode as a specification: shuttles, their flow control, the caps,
 * crashes and shutdown, on real sockets (the behaviour suite in
 * tests/serve/behaviour_test.ts also runs in worker mode).
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { connect, type Socket } from "node:net";
import { mkdirSync, mkdtempSync, renameSync, rmdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Hussar } from "../../core/mod.ts";
import { serve } from "../../serve/mod.ts";
import {
  type Shuttle,
  type ShuttleHead,
  WorkerPool,
  type WorkerPoolOptions,
} from "../../workers/mod.ts";
import { getText, header, parseResponses } from "../_http.ts";
import { selfSignedCertificate } from "../_tls.ts";
import { refused } from "../sources/_socket_client.ts";
import { until } from "../_until.ts";

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const GET = (path = "/"): string => `GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`;

/** A pool attached to a core, with `handler` serving each shuttle on this thread. */
async function start(
  options: Partial<WorkerPoolOptions>,
  handler: (shuttle: Shuttle) => Promise<unknown>,
): Promise<{ pool: WorkerPool; hussar: Hussar; port: number }> {
  const pool = new WorkerPool({ workers: 1, hostname: "127.0.0.1", port: 0, ...options });
  const hussar = new Hussar({
    handler() {
      throw new Error("the workers own the connections");
    },
  });
  await hussar.attachShuttles(pool, handler);
  return { pool, hussar, port: (pool.addr as { port: number }).port };
}

interface Client {
  socket: Socket;
  text(): string;
  waitFor(pattern: RegExp): Promise<string>;
  closed: Promise<void>;
}

function client(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    let received = "";
    const waiters: (() => void)[] = [];
    const socket = connect(port, "127.0.0.1", () => resolve(result));
    socket.on("data", (chunk: Uint8Array) => {
      received += new TextDecoder("latin1").decode(chunk);
      for (const wake of waiters.splice(0)) wake();
    });
    const closed = new Promise<void>((done) =>
      socket.on("close", () => {
        done();
        for (const wake of waiters.splice(0)) wake();
      })
    );
    socket.on("error", () => {});
    socket.once("connect", () => socket.off("error", reject));
    socket.once("error", reject);
    const result: Client = {
      socket,
      text: () => received,
      closed,
      async waitFor(pattern) {
        while (!pattern.test(received) && !socket.destroyed) {
          await new Promise<void>((wake) => waiters.push(wake));
        }
        return received;
      },
    };
  });
}

/** Everything the workers and the core hold once traffic is over: nothing but the managers. */
async function assertNothingLeft(pool: WorkerPool, hussar: Hussar): Promise<void> {
  await hussar.whenEmpty();
  assert.equal(hussar.stats().shuttles, 0, "shuttle threads left");
  // A handler may end before its worker said "done"; slots are freed by the
  // workers once their "closed"/"release" exchange is over: give them time.
  let stats = await pool.workerStats();
  const busy = (): boolean =>
    pool.stats().shuttles > 0 ||
    stats.some((s) => s !== null && (s.slots > 0 || s.connections > 0));
  for (const deadline = Date.now() + 10_000; busy() && Date.now() < deadline;) {
    await tick(20);
    stats = await pool.workerStats();
  }
  assert.equal(pool.stats().shuttles, 0, "shuttles left on the main thread");
  for (const worker of stats) {
    assert.ok(worker !== null);
    assert.deepEqual(
      { slots: worker.slots, connections: worker.connections, timers: worker.timers },
      { slots: 0, connections: 0, timers: 0 },
    );
    assert.ok(worker.threads <= 1, `worker threads left: ${worker.threads}`); // the core's manager
  }
  assert.equal(hussar.scheduler.timerCount, 0, "main-thread timers left");
}

describe("WorkerPool", () => {
  it("hands each request to the main thread as a shuttle and writes back its response", async () => {
    const { pool, hussar, port } = await start({}, (shuttle) => {
      shuttle.respond(
        { status: 201, headers: [["x-method", shuttle.head.method]] },
        `${shuttle.head.url} from worker ${shuttle.worker}`,
      );
      return Promise.resolve();
    });
    const c = await client(port);
    c.socket.write(GET("/a?b=1"));
    const [response] = parseResponses(await c.waitFor(/worker \d/));
    assert.equal(response.status, 201);
    assert.equal(header(response, "x-method"), "GET");
    assert.equal(header(response, "content-length"), String(response.body.length));
    assert.match(response.body, new RegExp(`^http://test/a\\?b=1 from worker 0$`));
    c.socket.end();
    await c.closed;
    await assertNothingLeft(pool, hussar);
    await pool.shutdown();
    await hussar.close();
  });

  it("hands each HTTP/2 stream over as a shuttle of version 2, its streamed response written in order", async () => {
    const heads: ShuttleHead[] = [];
    const { pool, hussar, port } = await start({}, async (shuttle) => {
      heads.push(shuttle.head);
      const body: Uint8Array[] = [];
      for (let chunk = await shuttle.read(); chunk !== null; chunk = await shuttle.read()) {
        body.push(chunk);
      }
      shuttle.respond({ status: 200, headers: [["x-version", shuttle.head.version]] }, "a", false);
      for (const part of ["b", "c", `${body.reduce((n, c) => n + c.length, 0)}`]) {
        await shuttle.write(new TextEncoder().encode(part));
      }
      await shuttle.end();
    });
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const text = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": "/h2?x=1", "x-a": "b" });
        let got = "";
        stream.setEncoding("utf8").on("data", (chunk: string) => got += chunk);
        stream.on("end", () => resolve(got)).on("error", reject);
        stream.end(new Uint8Array(70_000));
      });
      assert.equal(text, "abc70000");
    } finally {
      await new Promise<void>((resolve) => session.close(() => resolve()));
    }
    assert.equal(heads.length, 1);
    const [head] = heads;
    assert.deepEqual(
      [head.version, head.method, head.url, head.hasBody],
      ["2", "POST", `http://127.0.0.1:${port}/h2?x=1`, true],
    );
    assert.deepEqual(head.headers.find(([name]) => name === "x-a"), ["x-a", "b"]);
    await assertNothingLeft(pool, hussar);
    await pool.shutdown();
    await hussar.close();
  });

  it("over HTTP/2, a shuttle aborted before its head is a 500, after it a reset stream", async () => {
    const { pool, hussar, port } = await start({}, async (shuttle) => {
      if (shuttle.head.url.endsWith("/early")) return shuttle.abort("given up early");
      shuttle.respond({ status: 200, headers: [] }, null, false);
      await shuttle.write(new TextEncoder().encode("part"));
      shuttle.abort("given up midway");
    });
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    try {
      const ask = (path: string): Promise<{ status: number; body: string; reset: number }> =>
        new Promise((resolve) => {
          const stream = session.request({ ":path": path });
          let status = 0;
          let body = "";
          stream.on("response", (headers) => status = Number(headers[":status"]));
          stream.setEncoding("utf8").on("data", (chunk: string) => body += chunk);
          stream.on("error", () => {});
          stream.on("close", () => resolve({ status, body, reset: stream.rstCode ?? -1 }));
        });
      assert.deepEqual(await ask("/early"), {
        status: 500,
        body: "internal server error\n",
        reset: http2.constants.NGHTTP2_NO_ERROR,
      });
      const late = await ask("/late");
      assert.deepEqual([late.status, late.reset], [200, http2.constants.NGHTTP2_INTERNAL_ERROR]);
    } finally {
      await new Promise<void>((resolve) => session.close(() => resolve()));
    }
    await assertNothingLeft(pool, hussar);
    await pool.shutdown();
    await hussar.close();
  });

  it("pulls the request body chunk by chunk, on demand, byte for byte", async () => {
    let carried = 0;
    const { pool, hussar, port } = await start({}, async (shuttle) => {
      let size = 0;
      let sum = 0;
      for (let bytes = await shuttle.read(); bytes !== null; bytes = await shuttle.read()) {
        // Each chunk crossed alone, not cloned with the whole socket read it was a view on.
        carried += bytes.buffer.byteLength;
        size += bytes.length;
        for (const byte of bytes) sum = (sum + byte) % 65521;
      }
      shuttle.respond({ status: 200, headers: [] }, `${size} ${sum}`);
    });
    const body = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) % 251);
    let expected = 0;
    for (const byte of body) expected = (expected + byte) % 65521;
    const c = await client(port);
    c.socket.write(`POST / HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n`);
    c.socket.write(body);
    const [response] = parseResponses(await c.waitFor(/\r\n\r\n\d+ \d+$/));
    assert.equal(response.body, `${body.length} ${expected}`);
    assert.equal(carried, body.length, "bytes carried to the main thread");
    c.socket.end();
    await assertNothingLeft(pool, hussar);
    await pool.shutdown();
    await hussar.close();
  });

  it("keeps one chunk in flight: a write waits for the worker's continue; end() does not", async () => {
    const order: string[] = [];
    const { pool, hussar, port } = await start({}, async (shuttle) => {
      shuttle.respond({ status: 200, headers: [] }, null, false);
      for (const word of ["one ", "two ", "three"]) {
        await shuttle.write(new TextEncoder().encode(word));
        order.push(word.trim());
      }
      const ended = shuttle.end();
      order.push("end sent");
      await ended;
      order.push("completed");
    });
    const c = await client(port);
    c.socket.write(GET());
    const [response] = parseResponses(await c.waitFor(/0\r\n\r\n$/));
    assert.equal(header(response, "transfer-encoding"), "chunked");
    assert.equal(response.body, "one two three");
    await hussar.whenEmpty();
    assert.deepEqual(order, ["one", "two", "three", "end sent", "completed"]);
    c.socket.end();
    await pool.shutdown();
    await hussar.close();
  });

  it("sends the body given with a head that does not end the response, then what is written", async () => {
    const { pool, hussar, port } = await start({}, async (shuttle) => {
      shuttle.respond({ status: 200, headers: [] }, "sent with the head, ", false);
      await shuttle.write(new TextEncoder().encode("written, "));
      await shuttle.end(new TextEncoder().encode("ended"));
    });
    const c = await client(port);
    c.socket.write(GET());
    const [response] = parseResponses(await c.waitFor(/0\r\n\r\n$/));
    assert.equal(header(response, "transfer-encoding"), "chunked");
    assert.equal(response.body, "sent with the head, written, ended");
    c.socket.end();
    await assertNothingLeft(pool, hussar);
    await pool.shutdown();
    await hussar.close();
  });

  it("sends writes that are not awaited in order, and ends after them", async () => {
    const { pool, hussar, port } = await start({}, async (shuttle) => {
      shuttle.respond({ status: 200, headers: [] }, null, false);
      for (let i = 0; i < 20; i++) void shuttle.write(new TextEncoder().encode(`${i} `));
      await shuttle.end(new TextEncoder().encode("end"));
    });
    const c = await client(port);
    c.socket.write(GET());
    const [response] = parseResponses(await c.waitFor(/0\r\n\r\n$/));
    assert.equal(response.body, `${Array.from({ length: 20 }, (_, i) => `${i} `).join("")}end`);
    c.socket.end();
    await assertNothingLeft(pool, hussar);
    await pool.shutdown();
    await hussar.close();
  });

  it("stops reading requests beyond maxInFlight instead of failing them", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    const { pool, hussar, port } = await start({ maxInFlight: 1 }, async (shuttle) => {
      seen.push(new URL(shuttle.head.url).pathname);
      if (seen.length === 1) await gate;
      shuttle.respond({ status: 200, headers: [] }, "ok");
    });
    const first = await client(port);
    first.socket.write(GET("/first"));
    await until(() => seen.length > 0, 10_000, "the first request to reach the handler");
    const second = await client(port);
    second.socket.write(GET("/second"));
    const accepted = async (): Promise<boolean> => (await pool.workerStats())[0]?.connections === 2;
    await until(accepted, 10_000, "the worker to accept the second connection");
    await tick(100); // time for the second request to be read, and wrongly passed on
    assert.deepEqual(seen, ["/first"], "the second request must wait in its worker");
    release();
    for (const c of [first, second]) {
      const [response] = parseResponses(await c.waitFor(/ok$/));
      assert.equal(response.status, 200);
      c.socket.end();
    }
    assert.deepEqual(seen, ["/first", "/second"]);
    await assertNothingLeft(pool, hussar);
    await pool.shutdown();
    await hussar.close();
  });

  it("drops connections beyond maxConnections at once", async () => {
    const { pool, hussar, port } = await start({ maxConnections: 1 }, (shuttle) => {
      shuttle.respond({ status: 200, headers: [] }, "ok");
      return Promise.resolve();
    });
    const kept = await client(port);
    kept.socket.write(GET());
    await kept.waitFor(/ok$/);
    // The worker resets it at once: the connect itself may already see that.
    const dropped = await client(port).catch(() => null);
    if (dropped !== null) {
      dropped.socket.write(GET());
      await dropped.closed;
      assert.equal(dropped.text(), "");
    }
    kept.socket.end();
    await assertNothingLeft(pool, hussar);
    await pool.shutdown();
    await hussar.close();
  });

  it("aborts the signal of shuttles whose clients leave mid-response, and leaves nothing behind", async () => {
    const CLIENTS = 40;
    let aborted = 0;
    const { pool, hussar, port } = await start({ workers: 2 }, async (shuttle) => {
      shuttle.signal.addEventListener("abort", () => aborted++);
      shuttle.respond({ status: 200, headers: [] }, null, false);
      // Writes keep settling (without throwing) after the client is gone.
      for (let i = 0; !shuttle.signal.aborted; i++) {
        await shuttle.write(new TextEncoder().encode(`chunk ${i}\n`.repeat(50)));
      }
      await shuttle.end();
    });
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => client(port)));
    for (const c of clients) c.socket.write(GET());
    await Promise.all(clients.map((c) => c.waitFor(/chunk 3\n/)));
    for (const c of clients) c.socket.resetAndDestroy();
    await assertNothingLeft(pool, hussar);
    assert.equal(aborted, CLIENTS);
    await pool.shutdown();
    await hussar.close();
  });

  it("ends a shuttle's thread that outlives its client by graceMs, as a connection's", async () => {
    const pool = new WorkerPool({ workers: 1, hostname: "127.0.0.1", port: 0 });
    const hussar = new Hussar({
      graceMs: 100,
      handler() {
        throw new Error("the workers own the connections");
      },
    });
    let entered = 0;
    let finallyRan = 0;
    await hussar.attachShuttles(pool, function* () {
      entered++;
      try {
        yield new Promise<never>(() => {}); // a handler that never answers
      } finally {
        finallyRan++;
      }
    });
    const c = await client((pool.addr as { port: number }).port);
    c.socket.write(GET("/never"));
    await until(() => entered === 1, 10_000, "the handler to run");
    assert.equal(hussar.stats().shuttles, 1);
    c.socket.destroy();
    await until(() => hussar.stats().shuttles === 0, 10_000, "the thread to be ended");
    assert.equal(finallyRan, 1);
    await assertNothingLeft(pool, hussar);
    await pool.shutdown();
    await hussar.close();
  });

  it("restarts a worker that fails; its shuttles abort and the server keeps serving", async () => {
    let inFlight = null as Shuttle | null;
    const { pool, hussar, port } = await start({}, async (shuttle) => {
      if (new URL(shuttle.head.url).pathname === "/hang") {
        inFlight = shuttle;
        await new Promise((resolve) => shuttle.signal.addEventListener("abort", resolve));
        return;
      }
      shuttle.respond({ status: 200, headers: [] }, "alive");
    });
    const doomed = await client(port);
    doomed.socket.write(GET("/hang"));
    await until(() => inFlight !== null, 10_000, "the request to reach the handler");
    pool.terminateWorker(0);
    await doomed.closed;
    // The main thread learns of the crash from the worker's exit, maybe after the socket closed.
    const signal = inFlight!.signal;
    await new Promise((resolve) =>
      signal.aborted ? resolve(null) : signal.addEventListener("abort", resolve)
    );
    // Until the new worker listens, connections are refused: that takes seconds on a busy
    // machine, more on Deno, whose `deno test` type-checks every worker it starts.
    const serves = async (): Promise<boolean> => {
      try {
        const c = await client(port);
        c.socket.write(GET());
        const served = await c.waitFor(/alive$/);
        c.socket.end();
        return served.endsWith("alive");
      } catch {
        return false;
      }
    };
    await until(serves, 60_000, "the restarted worker to serve", 20);
    assert.equal(pool.stats().restarts, 1);
    await assertNothingLeft(pool, hussar);
    await pool.shutdown();
    await hussar.close();
  });
});

/** The body of `GET /` over the Unix socket at `path`, on a connection that then closes. */
function getOverUnix(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = "";
    const socket = connect(
      path,
      () => socket.write(`${GET().slice(0, -2)}Connection: close\r\n\r\n`),
    );
    socket.on("data", (chunk: Uint8Array) => (received += new TextDecoder().decode(chunk)));
    socket.on("error", reject);
    socket.on("close", () => resolve(received.slice(received.indexOf("\r\n\r\n") + 4)));
  });
}

/** Runs `body` with what `console.error` and `console.warn` print kept in `lines`, not printed. */
async function capturingConsole<T>(body: (lines: string[]) => Promise<T>): Promise<T> {
  const lines: string[] = [];
  const { error, warn } = console;
  console.error = console.warn = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    return await body(lines);
  } finally {
    console.error = error;
    console.warn = warn;
  }
}

describe("WorkerPool restarts", () => {
  it("tries a restart that cannot listen again, with backoff, until it can", {
    timeout: 90_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "hussar-restart-"));
    const path = join(dir, "s.sock");
    try {
      await capturingConsole(async (logged) => {
        const { pool, hussar } = await start({ path }, (shuttle) => {
          shuttle.respond({ status: 200, headers: [] }, "alive");
          return Promise.resolve();
        });
        assert.equal(await getOverUnix(path), "alive");
        // The worker listens on under another name; its own name is taken by a directory, so
        // a new worker cannot listen there (and a socket's cleanup cannot remove it).
        renameSync(path, join(dir, "old.sock"));
        mkdirSync(path);
        pool.terminateWorker(0);
        await until(() => pool.stats().failedRestarts >= 2, 60_000, "two failed restarts");
        const down = pool.stats();
        assert.deepEqual({ workers: down.workers, restarting: down.restarting }, {
          workers: 0,
          restarting: 1,
        });
        rmdirSync(path); // free the address: a later attempt listens
        await until(() => pool.stats().workers === 1, 60_000, "the worker listening again");
        assert.equal(await getOverUnix(path), "alive");
        const up = pool.stats();
        assert.deepEqual({ restarting: up.restarting, restarts: up.restarts }, {
          restarting: 0,
          restarts: 1,
        });
        assert.ok(up.failedRestarts >= 2);
        // One line when it starts failing, one when it is back, not one per attempt.
        assert.equal(logged.length, 2, logged.join("\n"));
        assert.match(logged[0], /^hussar: worker 0 could not be restarted: .+; trying again$/);
        assert.match(logged[1], /^hussar: worker 0 restarted after \d+ failed attempts$/);
        await assertNothingLeft(pool, hussar);
        await pool.shutdown();
        await hussar.close();
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stops trying when the pool shuts down", { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "hussar-restart-"));
    const path = join(dir, "s.sock");
    try {
      await capturingConsole(async () => {
        const { pool, hussar } = await start({ path }, (shuttle) => {
          shuttle.respond({ status: 200, headers: [] }, "alive");
          return Promise.resolve();
        });
        renameSync(path, join(dir, "old.sock"));
        mkdirSync(path);
        pool.terminateWorker(0);
        await until(() => pool.stats().failedRestarts >= 1, 60_000, "a failed restart");
        await pool.shutdown();
        rmdirSync(path);
        assert.equal(pool.stats().restarting, 0);
        assert.deepEqual(await pool.workerStats(), [null], "no worker was started again");
        await hussar.close();
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Whether this runtime lets several listeners share a port (see sources/listen.ts). */
function canSharePort(): boolean {
  const g = globalThis as { Deno?: { listenDatagram?: unknown }; Bun?: unknown };
  if (process.platform !== "linux") return false;
  if (g.Deno !== undefined) return g.Deno.listenDatagram !== undefined; // --unstable-net
  if (g.Bun !== undefined) return true;
  const [major, minor] = process.versions.node.split(".").map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

describe("serve() in worker mode", () => {
  it("accepts in every worker where the port can be shared, else in one", async () => {
    const server = serve(
      { workers: 2, hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("hi"),
    );
    await server.ready;
    assert.equal(server.workerPool?.stats().workers, canSharePort() ? 2 : 1);
    assert.equal(await (await fetch(server.url)).text(), "hi");
    await server.shutdown();
  });

  it("says once, at start, that fewer workers accept than were asked for", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hussar-workers-"));
    try {
      await capturingConsole(async (lines) => {
        const tcp = serve(
          { workers: 2, hostname: "127.0.0.1", port: 0, onListen() {} },
          () => new Response("hi"),
        );
        await tcp.ready;
        assert.equal(await (await fetch(tcp.url)).text(), "hi");
        await tcp.shutdown();
        assert.deepEqual(
          lines,
          canSharePort() ? [] : [
            "hussar: 1 of 2 workers accept connections: this runtime cannot share a port " +
            "between threads (reusePort: Bun or Node 22.12+ on Linux, Deno with --unstable-net)",
          ],
        );
        lines.length = 0;
        const local = serve(
          { workers: 3, path: join(dir, "s.sock"), onListen() {} },
          () => new Response("hi"),
        );
        await local.ready;
        await local.shutdown();
        assert.deepEqual(lines, [
          "hussar: 1 of 3 workers accept connections: one accepts on a Unix socket",
        ]);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("shuts down gracefully: the request in flight finishes, new connections are refused", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const handling = new Promise<void>((resolve) => (started = resolve));
    const server = serve(
      { workers: 2, hostname: "127.0.0.1", port: 0, onListen() {} },
      async () => {
        started();
        await gate;
        return new Response("finished");
      },
    );
    await server.ready;
    const { port } = server.addr as { port: number };
    const c = await client(port);
    c.socket.write(GET());
    await handling;
    const stopping = server.shutdown();
    // The workers stop accepting as the word reaches them: soon, not at once.
    const target = { host: "127.0.0.1", port };
    await until(() => refused(target), 10_000, "new connections to be refused");
    release();
    const [response] = parseResponses(await c.waitFor(/finished$/));
    assert.equal(response.status, 200);
    assert.equal(header(response, "connection"), "close");
    await stopping;
    await server.finished;
  });

  it("stops when its signal aborts", async () => {
    const controller = new AbortController();
    const server = serve({
      workers: 1,
      hostname: "127.0.0.1",
      port: 0,
      onListen() {},
      signal: controller.signal,
    }, () => new Response("hi"));
    await server.ready;
    const { port } = server.addr as { port: number };
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "hi");
    controller.abort();
    await server.finished;
    await assert.rejects(client(port));
  });

  it("serves HTTPS and Unix sockets from the workers", async () => {
    const secure = serve(
      { workers: 2, hostname: "127.0.0.1", port: 0, onListen() {}, tls: selfSignedCertificate() },
      (request) => new Response(`secure ${request.url}`),
    );
    await secure.ready;
    const body = await getText({ url: secure.url });
    assert.equal(body, `secure ${secure.url}`);
    await secure.shutdown();

    const dir = mkdtempSync(join(tmpdir(), "hussar-workers-"));
    try {
      const path = join(dir, "s.sock");
      const local = serve({ workers: 2, path, onListen() {} }, () => new Response("over unix"));
      await local.ready;
      assert.equal(local.workerPool?.stats().workers, 1, "a Unix socket has one accepting worker");
      const text = await getText({ socketPath: path });
      assert.equal(text, "over unix");
      await local.shutdown();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a worker count that is not a whole number", () => {
    assert.throws(() => serve({ workers: 1.5, onListen() {} }, () => new Response()), RangeError);
    assert.throws(() => new WorkerPool({ workers: 0 }), RangeError);
  });
});
