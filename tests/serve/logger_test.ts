/** serve()'s one logging option: what the server says goes to `logger`, handler faults to `onError`. */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { type Logger, serve, type ServeOptions } from "../../serve/mod.ts";
import type { HttpServer } from "../../serve/mod.ts";

/** A logger that keeps what it is told, as `level: message` lines and the errors apart. */
function recorder(): Logger & { lines: string[]; errors: unknown[] } {
  const lines: string[] = [];
  const errors: unknown[] = [];
  return {
    lines,
    errors,
    info: (message) => void lines.push(`info: ${message}`),
    warn: (message) => void lines.push(`warn: ${message}`),
    error(message, error) {
      lines.push(`error: ${message}`);
      errors.push(error);
    },
  };
}

/** Runs `body` with every console method replaced by one that records the call. */
async function watchingConsole(body: () => Promise<void>): Promise<string[]> {
  const methods = ["log", "info", "warn", "error", "debug"] as const;
  const originals = methods.map((method) => console[method]);
  const said: string[] = [];
  for (const method of methods) console[method] = (...args) => void said.push(args.join(" "));
  try {
    await body();
  } finally {
    methods.forEach((method, i) => (console[method] = originals[i]));
  }
  return said;
}

const failing = (): Response => {
  throw new Error("handler bug");
};

async function started(options: ServeOptions, handler: () => Response): Promise<HttpServer> {
  const server = serve({ hostname: "127.0.0.1", port: 0, ...options }, handler);
  await server.ready;
  return server;
}

for (const workers of [0, 1]) {
  describe(`serve({ logger }), ${workers === 0 ? "one thread" : "worker mode"}`, () => {
    it("says where it listens and reports a handler's fault through the logger", async () => {
      const logger = recorder();
      let server: HttpServer | null = null;
      const said = await watchingConsole(async () => {
        server = await started({ logger, workers }, failing);
        const response = await fetch(server.url);
        assert.equal(response.status, 500);
        assert.equal(await response.text(), "Internal Server Error");
        await server.shutdown();
      });
      assert.deepEqual(said, [], "nothing goes to the console");
      assert.deepEqual(logger.lines, [
        `info: Listening on ${server!.url}`,
        "error: fetch handler failed",
      ]);
      assert.match(String(logger.errors[0]), /handler bug/);
    });

    it("with onError given, tells the logger only when onError fails too", async () => {
      const logger = recorder();
      const server = await started({
        logger,
        workers,
        onListen() {},
        onError(error) {
          if (String(error).includes("twice")) throw new Error("onError bug");
          return new Response("handled", { status: 503 });
        },
      }, failing);
      try {
        const first = await fetch(server.url);
        assert.equal(first.status, 503);
        assert.equal(await first.text(), "handled");
        assert.deepEqual(logger.lines, []);
      } finally {
        await server.shutdown();
      }
      const twice = await started({
        logger,
        workers,
        onListen() {},
        onError() {
          throw new Error("onError bug");
        },
      }, failing);
      try {
        const second = await fetch(twice.url);
        assert.equal(second.status, 500);
        await second.body?.cancel();
        assert.deepEqual(logger.lines, ["error: onError failed"]);
        assert.match(String(logger.errors[0]), /onError bug/);
      } finally {
        await twice.shutdown();
      }
    });

    it("with logger: false says nothing at all", async () => {
      const said = await watchingConsole(async () => {
        const server = await started({ logger: false, workers }, failing);
        const response = await fetch(server.url);
        assert.equal(response.status, 500);
        await response.body?.cancel();
        await server.shutdown();
      });
      assert.deepEqual(said, []);
    });
  });
}

describe("serve(): the logging option's name", () => {
  it("refuses srvx's `silent`, naming `logger: false`", () => {
    assert.throws(
      () => serve({ silent: true } as ServeOptions, () => new Response()),
      (error: unknown) =>
        error instanceof TypeError &&
        /`silent` \(did you mean logger: false\?\)/.test(error.message),
    );
  });
});
