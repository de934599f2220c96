/**
 * A server that cannot listen fails loudly: `ready` and `finished` reject
 * with a ListenError that carries the code (EADDRINUSE, EACCES, ...) and the
 * address, and a program that does not handle it ends with a non-zero exit
 * code and a message naming the address and the cause. The programs run as a
 * user runs them (the quick start, the CLI) on the runtime running the tests.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ListenError } from "../../sources/mod.ts";
import { serve } from "../../serve/mod.ts";
import { startProgram } from "../_program.ts";

const isDeno = "Deno" in globalThis;
const isNode = !isDeno && !("Bun" in globalThis);
/** The library's entry point: `.ts` here, `.js` in the npm build (where Node runs the tests). */
const library = new URL(
  `../../mod${import.meta.url.endsWith(".js") ? ".js" : ".ts"}`,
  import.meta.url,
);
const quiet = { hostname: "127.0.0.1", onListen() {} };
const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `body` with a port on 127.0.0.1 that another listener holds. */
async function withTakenPort(body: (port: number) => Promise<void>): Promise<void> {
  const holder: Server = createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  try {
    await body((holder.address() as { port: number }).port);
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
}

/**
 * Checks the error of a listen on 127.0.0.1:`port`, which is taken (with the
 * runtime's error as its cause, except from a worker: that cannot cross).
 */
function isTaken(port: number, withCause = true): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof ListenError, `a ListenError, not ${error}`);
    assert.equal(error.code, "EADDRINUSE");
    assert.equal(error.address, `127.0.0.1:${port}`);
    assert.equal(error.hostname, "127.0.0.1");
    assert.equal(error.port, port);
    assert.equal(
      error.message,
      `hussar: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)`,
    );
    if (withCause) assert.ok(error.cause instanceof Error, "the runtime's own error");
    return true;
  };
}

/** The rejections nobody handled while `body` ran (and a little after). */
async function unhandledDuring(body: () => Promise<void>): Promise<unknown[]> {
  const unhandled: unknown[] = [];
  const record = (reason: unknown): void => void unhandled.push(reason);
  process.on("unhandledRejection", record);
  try {
    await body();
    // Unhandled rejections are told after the microtasks that could still handle them.
    await tick(20);
    await tick(20);
  } finally {
    process.off("unhandledRejection", record);
  }
  return unhandled;
}

describe("serve() on an address it cannot listen on", () => {
  it("rejects ready and finished with a ListenError carrying the code and the address", () =>
    withTakenPort(async (port) => {
      const server = serve({ ...quiet, port }, () => new Response());
      await assert.rejects(server.ready, isTaken(port));
      await assert.rejects(server.finished, isTaken(port));
      assert.equal(await server.ready.catch((e) => e), await server.finished.catch((e) => e));
      assert.throws(() => server.addr, /not listening/);
      await server.shutdown(); // nothing to stop, and no error either
    }));

  it("tells a program that awaits only `finished`, and leaves no rejection unhandled", () =>
    withTakenPort(async (port) => {
      const unhandled = await unhandledDuring(async () => {
        const server = serve({ ...quiet, port }, () => new Response());
        await assert.rejects(server.finished, isTaken(port));
      });
      assert.deepEqual(unhandled, []);
    }));

  it("tells a program that awaits only `ready`, and leaves no rejection unhandled", () =>
    withTakenPort(async (port) => {
      const unhandled = await unhandledDuring(async () => {
        const server = serve({ ...quiet, port }, () => new Response());
        await assert.rejects(server.ready, isTaken(port));
      });
      assert.deepEqual(unhandled, []);
    }));

  it("names the path of a Unix socket in use", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hussar-unix-"));
    const path = join(dir, "s.sock");
    const first = serve({ ...quiet, path }, () => new Response());
    try {
      await first.ready;
      const second = serve({ ...quiet, path }, () => new Response());
      await assert.rejects(second.finished, (error: unknown) => {
        assert.ok(error instanceof ListenError);
        assert.equal(error.code, "EADDRINUSE");
        assert.equal(error.path, path);
        assert.equal(error.address, `unix:${path}`);
        assert.equal(error.port, undefined);
        assert.match(error.message, new RegExp(`cannot listen on unix:${path}: .*EADDRINUSE`));
        return true;
      });
    } finally {
      await first.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects the same way in worker mode", () =>
    withTakenPort(async (port) => {
      const server = serve({ ...quiet, port, workers: 1 }, () => new Response());
      await assert.rejects(server.ready, isTaken(port, false));
      await assert.rejects(server.finished, isTaken(port, false));
    }));

  it("is no failure when the signal was aborted before: `finished` resolves", async () => {
    const unhandled = await unhandledDuring(async () => {
      const server = serve(
        { ...quiet, port: 0, signal: AbortSignal.abort() },
        () => new Response(),
      );
      await assert.rejects(server.ready, { name: "AbortError" });
      await server.finished;
    });
    assert.deepEqual(unhandled, []);
  });
});

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the runtime running the tests with `args` (at most 30 s). */
function run(args: string[], env: Record<string, string> = {}): Promise<Exit> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 30_000,
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Uint8Array) => (stdout += new TextDecoder().decode(chunk)));
  child.stderr!.on("data", (chunk: Uint8Array) => (stderr += new TextDecoder().decode(chunk)));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

/** What the tests use of `Deno.Command` (declared here: the npm build type-checks without Deno). */
interface DenoCommandLike {
  execPath(): string;
  Command: new (command: string, options: { args: string[]; env: Record<string, string> }) => {
    output(): Promise<{ code: number; stdout: Uint8Array; stderr: Uint8Array }>;
  };
}

/**
 * Runs deno with exactly the permissions of `args`: Deno gives a deno it
 * spawns through node:child_process every permission.
 */
async function runDeno(args: string[]): Promise<Exit> {
  const deno = (globalThis as unknown as { Deno: DenoCommandLike }).Deno;
  const { code, stdout, stderr } = await new deno.Command(deno.execPath(), {
    args,
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

/** Runs `source` as a program file the way the README says (Deno with `--allow-net`). */
async function runProgram(source: string, denoFlags = ["--allow-net"]): Promise<Exit> {
  const dir = mkdtempSync(join(tmpdir(), "hussar-app-"));
  try {
    const file = join(dir, isNode ? "app.mjs" : "app.ts");
    writeFileSync(file, source);
    return await (isDeno ? runDeno(["run", ...denoFlags, file]) : run([file]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The quick start of the README, on 127.0.0.1:`port`, awaiting `finished` or nothing. */
function quickStart(port: number, awaitFinished = true): string {
  return `import { serve } from ${JSON.stringify(library.href)};
const server = serve({ port: ${port}, hostname: "127.0.0.1" }, async (request, info) => {
  if (request.method === "POST") return new Response(await request.text());
  return new Response(\`hello \${info.remoteAddr.hostname}\`);
});
${awaitFinished ? "await server.finished;" : ""}
`;
}

/** A failed start: a non-zero exit, the address and the cause on stderr, nothing listening. */
function assertFailedLoudly(exit: Exit, port: number, cause: RegExp): void {
  const report = `exit ${exit.code}\nstdout: ${exit.stdout}\nstderr: ${exit.stderr}`;
  assert.ok(exit.code !== 0 && exit.code !== null, report);
  assert.ok(exit.stderr.includes(`127.0.0.1:${port}`), report);
  assert.match(exit.stderr, cause, report);
  assert.doesNotMatch(exit.stdout, /Listening/, report);
}

describe("a program whose server cannot listen", () => {
  it("the quick start, awaiting `finished`, exits non-zero naming the address and the cause", () =>
    withTakenPort(async (port) => {
      assertFailedLoudly(await runProgram(quickStart(port)), port, /EADDRINUSE/);
    }));

  it("one that awaits nothing exits the same way", () =>
    withTakenPort(async (port) => {
      assertFailedLoudly(await runProgram(quickStart(port, false)), port, /EADDRINUSE/);
    }));

  it(
    "Deno without --allow-net says so: EACCES, and the flag to give",
    { skip: isDeno ? false : "Deno's permissions" },
    async () => {
      const exit = await runProgram(quickStart(8000), []);
      assertFailedLoudly(exit, 8000, /EACCES.*--allow-net/);
    },
  );

  // The demo's case (`npm start` with a taken PORT) is in tests/demo_test.ts.
  it("the CLI on a taken port says so in one line and exits non-zero", () =>
    withTakenPort(async (port) => {
      const dir = mkdtempSync(join(tmpdir(), "hussar-cli-"));
      try {
        writeFileSync(join(dir, "app.mjs"), `export default { fetch: () => new Response("hi") };`);
        const program = startProgram(
          "cli",
          ["--port", String(port), "--hostname", "127.0.0.1", "app.mjs"],
          { cwd: dir },
        );
        const exit = {
          code: await program.exited(),
          stdout: program.stdout,
          stderr: program.stderr,
        };
        assertFailedLoudly(exit, port, /EADDRINUSE/);
        assert.equal(exit.stderr.trim().split("\n").length, 1, exit.stderr);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }));
});
