/**
 * Every test has a time limit: each test file takes `describe`, `it` and the
 * hooks from tests/_testing.ts, which limits every test and hook; and under
 * that limit a test that hangs, even with its server still listening, fails
 * under its own name while the run goes on and ends, on each runtime.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { bunTestArgs } from "../_time_limit.ts";

/** `.ts` here, `.js` in the npm build the tests were compiled into. */
const EXTENSION = import.meta.url.endsWith(".js") ? ".js" : ".ts";
const TESTS = fileURLToPath(new URL("../", import.meta.url));

function testFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith(`_test${EXTENSION}`) ? [path] : [];
  });
}

/** Why the test file `source` escapes the time limit, or `null` if it does not. */
function unlimited(source: string): string | null {
  const direct = /^import\s+(type\s+)?([^;]*?)\s*from\s*["'](node:test|bun:test)["']/gm;
  for (const [, typeOnly, what, module] of source.matchAll(direct)) {
    if (typeOnly === undefined) return `takes ${what.trim()} from "${module}"`;
  }
  if (!/^import\s[^;]*?from\s*["'](\.\.?\/)+_testing\.[jt]s["']/m.test(source)) {
    return "does not take its tests from tests/_testing";
  }
  return null;
}

/** Runs `args` with this runtime; resolves with its exit code and output, or rejects after `ms`. */
function run(
  args: string[],
  options: { cwd: string; env: Record<string, string>; ms: number },
): Promise<{ code: number | null; output: string }> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...options.env };
  // Set by `node --test` in the processes it runs; left in, the nested run would run no file.
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (chunk: Uint8Array) => (output += new TextDecoder().decode(chunk)));
    child.stderr!.on("data", (chunk: Uint8Array) => (output += new TextDecoder().decode(chunk)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the run did not end within ${options.ms} ms:\n${output}`));
    }, options.ms);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("test time limits", () => {
  it("are on every test file: each takes describe, it and the hooks from tests/_testing", () => {
    const files = testFiles(TESTS);
    assert.ok(files.length > 10, `test files found in ${TESTS}`);
    const escaping = files.flatMap((file) => {
      const why = unlimited(readFileSync(file, "utf8"));
      return why === null ? [] : [`${relative(TESTS, file)}: ${why}`];
    });
    assert.deepEqual(escaping, []);
  });

  it("are checked: a file taking its tests from node:test or bun:test is named", () => {
    const limited = `import { describe, it } from "../_testing${EXTENSION}";\n`;
    assert.equal(unlimited(limited), null);
    assert.equal(unlimited(`import type { TestContext } from "node:test";\n${limited}`), null);
    assert.match(
      unlimited(`import { describe, it } from "node:test";\n`)!,
      /takes \{ describe, it \} from "node:test"/,
    );
    assert.match(unlimited(`import { it, type TestContext } from "node:test";\n${limited}`)!, /it/);
    assert.match(unlimited(`import { test } from "bun:test";\n${limited}`)!, /bun:test/);
    assert.match(unlimited(`import assert from "node:assert/strict";\n`)!, /_testing/);
  });

  it("fail a test that hangs under its name, and the run goes on and ends", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hussar-time-limit-"));
    try {
      const testing = new URL(`../_testing${EXTENSION}`, import.meta.url).href;
      const file = join(dir, "hang_test.mjs");
      writeFileSync(
        file,
        `import { createServer } from "node:net";
import { describe, it } from ${JSON.stringify(testing)};
describe("a suite", () => {
  it("hangs with its server listening", async () => {
    const server = createServer();
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    await new Promise(() => {});
  });
  it("runs after the hang", () => console.log("ran after the hang"));
});
`,
      );
      const deno = (globalThis as { Deno?: unknown }).Deno !== undefined;
      const bun = (globalThis as { Bun?: unknown }).Bun !== undefined;
      const args = deno
        ? ["test", "-A", file]
        : bun
        ? ["test", ...bunTestArgs(), "./hang_test.mjs"]
        : ["--test", file];
      const { code, output } = await run(args, {
        cwd: dir,
        env: { HUSSAR_TEST_TIME_LIMIT_MS: "1500" },
        ms: 45_000,
      });
      assert.notEqual(code, 0, output);
      assert.match(output, /hangs with its server listening/, output);
      assert.match(output, /timed out after 1500 ?ms/, output);
      assert.match(output, /ran after the hang/, output);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
