/**
 * The whole test run (`npm test`): format, lint and type checks, the JSDoc
 * examples, then every test under `tests/` on Deno, Bun, and Node (against
 * the npm build). Prints each runtime's counts and a closing
 * `N passed, M failed` line; exits non-zero if any step fails, any test
 * fails, or a runtime ran no test.
 *
 *   deno run -A scripts/test.ts [--only=deno|bun|node ...]
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { type Tally, tallyJUnit } from "./_junit.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const BIN = join(ROOT, "node_modules", ".bin");
const env: Record<string, string> = {
  ...process.env as Record<string, string>,
  PATH: `${BIN}:${process.env.PATH}`,
};
const shared = join(ROOT, "..", "shared");
if (existsSync(shared) && !env.HUSSAR_SHARED) env.HUSSAR_SHARED = shared;

const only = process.argv.slice(2).filter((a) => a.startsWith("--only=")).map((a) => a.slice(7));
const wanted = (runtime: string): boolean => only.length === 0 || only.includes(runtime);
const scratch = mkdtempSync(join(tmpdir(), "hussar-test-"));
const failures: string[] = [];
const tallies: [string, Tally | null][] = [];

function step(title: string, command: string, args: string[]): boolean {
  console.log(`\n=== ${title}: ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd: ROOT, env, stdio: "inherit" });
  const ok = result.status === 0;
  if (!ok) failures.push(`${title} (exit ${result.status ?? result.signal})`);
  return ok;
}

function tests(runtime: string, command: string, args: string[], junit: string): void {
  step(`${runtime} tests`, command, args);
  const tally = existsSync(junit) ? tallyJUnit(readFileSync(junit, "utf8")) : null;
  tallies.push([runtime, tally]);
  if (tally === null) failures.push(`${runtime}: no JUnit report`);
  else if (tally.passed + tally.failed === 0) failures.push(`${runtime}: ran no test`);
}

step("format", "deno", ["fmt", "--check"]);
step("lint", "deno", ["lint"]);
step("type check", "deno", ["check", "."]);
if (wanted("deno")) {
  const doc = join(scratch, "doc.xml");
  tests("deno (JSDoc examples)", "deno", [
    "test",
    "-A",
    "--doc",
    "--reporter=dot",
    `--junit-path=${doc}`,
    "mod.ts",
    "scheduler/",
    "core/",
    "httputil/",
    "sources/",
  ], doc);
  const junit = join(scratch, "deno.xml");
  tests("deno", "deno", ["test", "-A", "--reporter=dot", `--junit-path=${junit}`, "tests/"], junit);
}
if (wanted("bun")) {
  const junit = join(scratch, "bun.xml");
  // "./" makes it a path: a bare "tests/" is a name filter that also matches npm/esm/tests.
  tests(
    "bun",
    "bun",
    ["test", "--reporter=junit", `--reporter-outfile=${junit}`, "./tests/"],
    junit,
  );
}
if (wanted("node")) {
  const junit = join(scratch, "node.xml");
  tests("node", "deno", ["run", "-A", "scripts/build_npm.ts", `--junit=${junit}`], junit);
}

console.log("\nruntime                 passed  failed  skipped");
const total: Tally = { passed: 0, failed: 0, skipped: 0 };
for (const [runtime, tally] of tallies) {
  const t = tally ?? { passed: 0, failed: 0, skipped: 0 };
  console.log(
    `${runtime.padEnd(22)} ${String(t.passed).padStart(7)} ${String(t.failed).padStart(7)} ${
      String(t.skipped).padStart(8)
    }`,
  );
  total.passed += t.passed;
  total.failed += t.failed;
  total.skipped += t.skipped;
  if (t.failed > 0) failures.push(`${runtime}: ${t.failed} failed`);
}
if (failures.length > 0) console.log(`\nfailed steps: ${[...new Set(failures)].join("; ")}`);
console.log(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(failures.length === 0 ? 0 : 1);
