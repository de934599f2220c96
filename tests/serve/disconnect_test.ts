/**
 * A client that goes away while its response is owed, in each way a client
 * can: a FIN (`socket.end()`), a close (`socket.destroy()`), `fetch` aborted
 * by its `AbortController`, `curl --max-time`, and a reset. Each time, in
 * single-thread and in worker mode, `request.signal` aborts, `info.completed`
 * rejects, a response stream is cancelled, and nothing is left behind.
 */
import { afterEach, describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import { type HttpServer, serve } from "../../serve/mod.ts";
import type { FetchHandler } from "../../serve/types.ts";
import { until } from "../_until.ts";
import { within } from "../sources/_socket_client.ts";

/** Longer than any wait below: a handler still waiting then was never told. */
const NEVER_MS = 20_000;
const GET = "GET /wait HTTP/1.1\r\nHost: h\r\n\r\n";

const started: HttpServer[] = [];
afterEach(async () => {
  for (const server of started.splice(0)) await server.close();
});

/** What a handler saw of its client leaving. */
interface Watch {
  /** Resolves once the handler runs (the request is in). */
  entered: Promise<void>;
  /** Resolves with how the handler's wait ended. */
  outcome: Promise<"aborted" | "never told">;
  /** Settles as `info.completed` does. */
  completed: Promise<"fulfilled" | "rejected">;
}

/**
 * Starts a server whose handler waits for `request.signal` (answering with
 * a plain body, or streaming a body that says one thing, then nothing).
 */
async function start(workers: number, streaming: boolean): Promise<
  { server: HttpServer; watch: Watch; cancelled: () => boolean }
> {
  let entered!: () => void;
  let outcome!: (how: "aborted" | "never told") => void;
  let completed!: (how: "fulfilled" | "rejected") => void;
  const watch: Watch = {
    entered: new Promise((resolve) => (entered = resolve)),
    outcome: new Promise((resolve) => (outcome = resolve)),
    completed: new Promise((resolve) => (completed = resolve)),
  };
  let cancelled = false;
  const handler: FetchHandler = async (request, info) => {
    info.completed.then(() => completed("fulfilled"), () => completed("rejected"));
    entered();
    if (streaming) {
      request.signal.addEventListener("abort", () => outcome("aborted"), { once: true });
      return new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode("data: first\n\n"));
          },
          cancel() {
            cancelled = true;
          },
        }),
      );
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        outcome("never told");
        resolve();
      }, NEVER_MS);
      request.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        outcome("aborted");
        resolve();
      }, { once: true });
    });
    return new Response("too late");
  };
  const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {}, workers }, handler);
  started.push(server);
  await server.ready;
  return { server, watch, cancelled: () => cancelled };
}

/** Waits until the server holds no connection and no shuttle. */
function nothingLeft(server: HttpServer): Promise<void> {
  const { hussar } = server;
  return until(
    () => hussar.stats().shuttles === 0 && hussar.connectionCount === 0,
    10_000,
    "the exchange to end",
  );
}

function url(server: HttpServer): string {
  return `http://127.0.0.1:${(server.addr as { port: number }).port}/wait`;
}

/** A raw client that sends the request and resolves once the handler has it. */
async function requested(server: HttpServer, watch: Watch): Promise<Socket> {
  const socket = connect((server.addr as { port: number }).port, "127.0.0.1");
  socket.on("error", () => {});
  socket.resume(); // reads, so that it sees the server close too
  socket.write(GET);
  await watch.entered;
  return socket;
}

/** The five ways a client leaves, each once its request is in. */
const leaving: Record<string, (server: HttpServer, watch: Watch) => Promise<void>> = {
  "socket.end() (FIN after a complete request)": async (server, watch) => {
    const socket = await requested(server, watch);
    socket.end();
    await new Promise((resolve) => socket.on("close", resolve));
  },
  "socket.destroy()": async (server, watch) => void (await requested(server, watch)).destroy(),
  "fetch with an AbortController that aborts": async (server, watch) => {
    const controller = new AbortController();
    const response = fetch(url(server), { signal: controller.signal });
    await watch.entered;
    controller.abort();
    await assert.rejects(response);
  },
  "curl --max-time 1": async (server) => {
    const curl = spawn("curl", ["-sS", "--max-time", "1", url(server)], { stdio: "ignore" });
    const code = await new Promise<number | null>((resolve) => curl.on("close", resolve));
    assert.equal(code, 28, "curl gave up at its time limit");
  },
  "resetAndDestroy() (RST)": async (server, watch) =>
    void (await requested(server, watch)).resetAndDestroy(),
};

for (const workers of [0, 1]) {
  describe(`a client that leaves while its response is owed (${workers ? "worker mode" : "single thread"})`, () => {
    for (const [how, leave] of Object.entries(leaving)) {
      it(`${how}: request.signal aborts and info.completed rejects`, async () => {
        const { server, watch } = await start(workers, false);
        await leave(server, watch);
        assert.equal(await within(watch.outcome, 10_000, "the handler's wait"), "aborted");
        assert.equal(await within(watch.completed, 10_000, "info.completed"), "rejected");
        await nothingLeft(server);
      });
    }

    for (const how of ["socket.end() (FIN after a complete request)", "socket.destroy()"]) {
      it(`${how}: a response stream that went quiet is cancelled`, async () => {
        const { server, watch, cancelled } = await start(workers, true);
        await leaving[how](server, watch);
        assert.equal(await within(watch.outcome, 10_000, "request.signal"), "aborted");
        assert.equal(await within(watch.completed, 10_000, "info.completed"), "rejected");
        await until(cancelled, 10_000, "the response stream to be cancelled");
        await nothingLeft(server);
      });
    }
  });
}
