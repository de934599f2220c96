/**
 * The whole test run (`npm test`): format, lint and type checks, the
 * documentation check and a JSR publish dry run, the JSDoc examples and the
 * code blocks of docs/, then
 * every test under `tests/` on Deno, Bun, and Node: for Node, the npm
 * package is built (`scripts/build_npm.ts`), dry-run published, and the
 * suite compiled into it runs. These dry runs are the release workflow's
 * publish commands (`.github/workflows/release.yml`). Each tool's output
 * streams through; a table of each runtime's counts and a closing
 * `N passed, M failed, K skipped` line follow. Exits non-zero if any step
 * fails, any test fails, or a runtime ran no test.
 *
 *   deno run -A scripts/test.ts [--only=deno|bun|node ...] [--filter=PATTERN]
 *
 * `--filter` is handed to each runtime's own name filter (Deno's `--filter`,
 * Bun's `-t`, Node's `--test-name-pattern`; their matching rules differ) and
 * skips the JSDoc examples.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { readJUnit, type Tally, tally, type TestResult } from "./_junit.ts";
import { libraryEntries, OUT as NPM_OUT } from "./build_npm.ts";
import { bunTestArgs } from "../tests/_time_limit.ts";

const RUNTIMES = ["deno", "bun", "node"] as const;
type Runtime = typeof RUNTIMES[number];
const USAGE = "usage: scripts/test.ts [--only=deno|bun|node ...] [--filter=PATTERN]";
/**
 * Besides the library (deno.json's exports), places whose examples must run:
 * the demo's JSDoc, and the code blocks of the documentation in docs/.
 */
// demo.ts itself is left out: importing it starts the demo server.
const DOC_TESTED_TOO = ["demo", "docs"];
/** Failing test names listed per runtime at the end; the tools' own output has the details. */
const LIST_FAILURES = 20;

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

interface Options {
  only: Set<Runtime>;
  filter: string | null;
}

function parseOptions(args: string[]): Options {
  const options: Options = { only: new Set(), filter: null };
  for (const arg of args) {
    const at = arg.indexOf("=");
    const [name, value] = at === -1 ? [arg, ""] : [arg.slice(0, at), arg.slice(at + 1)];
    if (name === "--only" && (RUNTIMES as readonly string[]).includes(value)) {
      options.only.add(value as Runtime);
    } else if (name === "--filter" && value !== "") {
      options.filter = value;
    } else {
      console.error(`${USAGE}\nunknown or malformed option: ${arg}`);
      process.exit(2);
    }
  }
  return options;
}

/** Children use the pinned toolchain in node_modules/.bin and find `../shared`. */
function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  env.PATH = [join(ROOT, "node_modules", ".bin"), env.PATH].filter(Boolean).join(delimiter);
  const shared = join(dirname(ROOT), "shared");
  if (!env.HUSSAR_SHARED && existsSync(shared)) env.HUSSAR_SHARED = shared;
  env.DENO_NO_UPDATE_CHECK = "1";
  return env;
}

class Run {
  readonly failures: string[] = [];
  readonly rows: { label: string; counts: Tally; failed: TestResult[] }[] = [];
  readonly #env = childEnv();

  fail(what: string): void {
    this.failures.push(what);
  }

  /** Runs a command with its output streaming through; records a failure on a non-zero exit. */
  step(title: string, command: string, args: string[], cwd = ROOT): boolean {
    console.log(`\n=== ${title}: ${command} ${args.join(" ")}`);
    const result = spawnSync(command, args, { cwd, env: this.#env, stdio: "inherit" });
    if (result.error) console.error(`cannot run ${command}: ${result.error.message}`);
    const ok = result.status === 0;
    if (!ok) this.fail(`${title} (exit ${result.status ?? result.signal ?? "?"})`);
    return ok;
  }

  /** A test step whose results are read back from the JUnit report it writes. */
  tests(label: string, command: string, args: string[], junit: string, cwd = ROOT): void {
    this.step(label, command, args, cwd);
    if (!existsSync(junit)) {
      this.fail(`${label}: no JUnit report`);
      this.rows.push({ label, counts: { passed: 0, failed: 0, skipped: 0 }, failed: [] });
      return;
    }
    const results = readJUnit(readFileSync(junit, "utf8"));
    const counts = tally(results);
    this.rows.push({ label, counts, failed: results.filter((r) => r.outcome === "failed") });
    if (counts.failed > 0) this.fail(`${label}: ${counts.failed} failed`);
    if (counts.passed + counts.failed === 0) this.fail(`${label}: ran no test`);
  }
}

function summarise(run: Run, filter: string | null): void {
  const width = Math.max("runtime".length, ...run.rows.map((r) => r.label.length));
  const line = (label: string, ...cells: (string | number)[]): string =>
    [label.padEnd(width), ...cells.map((c, i) => String(c).padStart(i === 2 ? 8 : 7))].join("  ");
  const total: Tally = { passed: 0, failed: 0, skipped: 0 };
  console.log(`\n${line("runtime", "passed", "failed", "skipped")}`);
  for (const { label, counts } of run.rows) {
    console.log(line(label, counts.passed, counts.failed, counts.skipped));
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
  }
  for (const { label, failed } of run.rows.filter((r) => r.failed.length > 0)) {
    console.log(`\nfailed on ${label}:`);
    for (const { name } of failed.slice(0, LIST_FAILURES)) console.log(`  ${name}`);
    if (failed.length > LIST_FAILURES) {
      console.log(`  ... and ${failed.length - LIST_FAILURES} more`);
    }
  }
  if (run.failures.length > 0) console.log(`\nfailed steps: ${run.failures.join("; ")}`);
  if (filter !== null) console.log(`\n(--filter: tests it did not select count as skipped)`);
  console.log(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
}

function walkFiles(path: string, suffix: string): string[] {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return path.endsWith(suffix) ? [path] : [];
  return readdirSync(path).sort().flatMap((name) => walkFiles(join(path, name), suffix));
}

/**
 * Node's part: build the npm package, dry-run its publish as the release
 * workflow runs it (no network needed), then run the tests compiled into it.
 */
function nodeSteps(run: Run, junit: string, filter: string | null): void {
  const label = "node (npm build)";
  const notRun = (why: string): void => {
    run.fail(`${label}: ${why}`);
    run.rows.push({ label, counts: { passed: 0, failed: 0, skipped: 0 }, failed: [] });
  };
  if (!run.step("npm build", "deno", ["run", "-A", "scripts/build_npm.ts"])) {
    return notRun("not run, the build failed");
  }
  const out = relative(ROOT, NPM_OUT);
  // "./": a bare "npm" would name the npm package. --offline: the registry is not asked
  // whether the version exists (unreachable, that costs a minute of retries).
  run.step("npm publish (dry run)", "npm", [
    "publish",
    "--dry-run",
    "--offline",
    "--access",
    "public",
    `./${out}`,
  ]);
  const tests = walkFiles(join(NPM_OUT, "esm", "tests"), "_test.js");
  if (tests.length === 0) return notRun(`no compiled test in ${out}/esm/tests/`);
  // Each test has a time limit, and each file's process ends itself after its tests (both in
  // tests/_testing.ts): --test-force-exit would cut Node 20's JUnit report short.
  const args = ["--test"];
  args.push("--test-reporter=spec", "--test-reporter-destination=stdout");
  args.push("--test-reporter=junit", `--test-reporter-destination=${junit}`);
  if (filter !== null) args.push(`--test-name-pattern=${filter}`);
  run.tests(label, "node", [...args, ...tests.map((t) => relative(NPM_OUT, t))], junit, NPM_OUT);
}

function main(): number {
  const options = parseOptions(process.argv.slice(2));
  const wanted = (runtime: Runtime): boolean =>
    options.only.size === 0 || options.only.has(runtime);
  const filter = options.filter;
  const scratch = mkdtempSync(join(tmpdir(), "hussar-test-"));
  const run = new Run();
  try {
    run.step("format", "deno", ["fmt", "--check"]);
    run.step("lint", "deno", ["lint"]);
    // Everything: library, tests, scripts (deno.json excludes npm/ and node_modules/).
    run.step("type check", "deno", ["check", "."]);
    // JSR readiness: documentation lint and examples on every export, and a publish dry run.
    run.step("docs", "deno", ["run", "-A", "scripts/check_docs.ts"]);
    run.step("publish (dry run)", "deno", ["publish", "--dry-run", "--allow-dirty"]);
    if (wanted("deno") && filter === null) {
      const junit = join(scratch, "doc.xml");
      const places = [...libraryEntries(), ...DOC_TESTED_TOO]
        .filter((entry) => existsSync(join(ROOT, entry)))
        .map((entry) => entry.endsWith(".ts") ? entry : `${entry}/`);
      run.tests("deno (JSDoc examples)", "deno", [
        "test",
        "-A",
        "--doc",
        "--reporter=dot",
        `--junit-path=${junit}`,
        ...places,
      ], junit);
    }
    if (wanted("deno")) {
      const junit = join(scratch, "deno.xml");
      // --no-check: the type check above covered the tests, and `deno test` would type-check
      // again each worker that worker mode starts (seconds each, on a busy machine more).
      const args = ["test", "-A", "--no-check", "--reporter=dot", `--junit-path=${junit}`];
      if (filter !== null) args.push(`--filter=${filter}`);
      run.tests("deno", "deno", [...args, "tests/"], junit);
    }
    if (wanted("bun")) {
      const junit = join(scratch, "bun.xml");
      const args = ["test", ...bunTestArgs(), "--reporter=junit", `--reporter-outfile=${junit}`];
      if (filter !== null) args.push("-t", filter);
      // "./" makes it a path: a bare "tests/" is a name filter that also matches npm/esm/tests.
      run.tests("bun", "bun", [...args, "./tests/"], junit);
    }
    if (wanted("node")) nodeSteps(run, join(scratch, "node.xml"), filter);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  summarise(run, options.filter);
  return run.failures.length === 0 ? 0 : 1;
}

if (import.meta.main) process.exit(main());
