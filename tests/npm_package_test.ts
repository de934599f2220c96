/**
 * The npm package as a user gets it: the build is packed with `npm pack`,
 * installed from the tarball into a scratch project (no network: the
 * package has no dependencies), and used there by package name on Node 20,
 * on the current Node LTS (the `node` npm package, cached under
 * `.build/cache/`), on Bun, and by a TypeScript consumer under tsc. Then the
 * README's way from a clone, as written: its quick start served on Deno
 * through a `links` entry to the repository, and on Node and Bun with the
 * build installed as a `file:` dependency of a project made by `npm init -y`.
 *
 * A packaging test, not a behaviour test: it runs once, in the Node part of
 * the suite, against the npm build it was compiled into
 * (`scripts/build_npm.ts`, `HUSSAR_NPM_OUT`). Deno and Bun report it skipped;
 * Bun still runs the package, here, as a consumer.
 *
 * `HUSSAR_NODE_LTS=/path/to/node` uses that binary instead of installing one.
 */
import { after, before, describe, it, type TestContext } from "./_testing.ts";
import assert from "node:assert/strict";
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  NODE_LTS_VERSION,
  nodeLtsBinary,
  RegistryUnreachableError,
} from "../scripts/bench/node_lts.ts";

interface BuiltPackage {
  name: string;
  version: string;
  exports: Record<string, { types: string; import: string }>;
  bin?: Record<string, string>;
}

/** The build this compiled test sits in (`<build>/esm/tests/`), when run from one. */
function ownBuild(): string | null {
  const runtime = globalThis as { Deno?: unknown; Bun?: unknown };
  if (runtime.Deno || runtime.Bun) return null;
  const build = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const manifest = join(build, "package.json");
  if (!existsSync(manifest)) return null;
  return JSON.parse(readFileSync(manifest, "utf8")).name === "@hussar/core" ? build : null;
}

const BUILD = ownBuild();
const SKIP = BUILD === null
  ? "packaging test: runs once, on Node, against the npm build it is compiled into " +
    "(deno run -A scripts/build_npm.ts)"
  : false;

/** A specifier for an export key: "." is the package, "./x" its sub-path. */
function specifier(name: string, key: string): string {
  return key === "." ? name : `${name}/${key.slice(2)}`;
}

function run(
  command: string,
  args: string[],
  cwd: string,
  timeout = 120_000,
): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout });
  if (result.error) throw new Error(`cannot run ${command}: ${result.error.message}`);
  return result;
}

function succeed(result: SpawnSyncReturns<string>, what: string): string {
  assert.equal(result.status, 0, `${what} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** What the consumer script prints. */
interface ConsumerReport {
  version: string;
  exports: Record<string, string[]>;
  body: string;
  sameServe: boolean;
}

// Plain JavaScript, as a Node user writes it: imports by package name only.
const CONSUMER = `
import { serve } from "@hussar/core";
const keys = JSON.parse(process.argv[2]);
const exports = {};
for (const key of keys) {
  const name = key === "." ? "@hussar/core" : "@hussar/core/" + key.slice(2);
  exports[key] = Object.keys(await import(name)).sort();
}
const server = serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) =>
  new Response(request.method + " " + new URL(request.url).pathname + " " + await request.text()));
await server.ready;
const response = await fetch(new URL("/consumer", server.url), { method: "POST", body: "hello" });
const body = await response.text();
await server.shutdown();
const sameServe = serve === (await import("@hussar/core/serve")).serve;
console.log(JSON.stringify({ version: process.version, exports, body, sameServe }));
`;

const TS_CONSUMER = `
import { type FetchHandler, serve, type ServeOptions } from "@hussar/core";
import { Scheduler, sleep, VirtualClock } from "@hussar/core/scheduler";
import { Hussar } from "@hussar/core/core";
import { httpHandler } from "@hussar/core/httputil";
import { FakeSource } from "@hussar/core/sources";

const handler: FetchHandler = async (request, info) =>
  new Response(\`\${request.method} from \${info.remoteAddr.hostname}\`);
const options: ServeOptions = { port: 0, hostname: "127.0.0.1" };
const server = serve(options, handler);
const url: string = server.url;
const scheduler = new Scheduler({ clock: new VirtualClock() });
scheduler.spawn(function* () {
  yield* sleep(10);
});
const hussar = new Hussar({ handler: httpHandler(() => ({ status: 200, body: "hi" })) });
hussar.attachSource(new FakeSource());
export { hussar, url };
`;

// Each line is a mistake the published types must catch.
const TS_MISTAKES = `
import { serve } from "@hussar/core";
import { Scheduler } from "@hussar/core/scheduler";
serve({ prot: 8000 }, () => new Response("x"));
serve({ port: 0 }, (request) => request.method);
new Scheduler({ clock: "system" });
`;

function tsconfig(resolution: "nodenext" | "bundler"): string {
  return JSON.stringify({
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: "es2022",
      module: resolution === "nodenext" ? "nodenext" : "esnext",
      moduleResolution: resolution,
      // nodenext: a Node project, with Node's types and no DOM library;
      // bundler: one that also targets browsers. The package's own
      // declarations are checked too.
      lib: resolution === "nodenext" ? ["es2022"] : ["es2022", "dom", "dom.iterable"],
      types: ["node"],
      skipLibCheck: false,
    },
    files: ["consumer.ts", "mistakes.ts"],
  });
}

describe("the npm package, packed and installed into a scratch project", () => {
  if (SKIP) {
    it("is checked in the Node part of the suite", { skip: SKIP }, () => {});
    return;
  }
  const build = BUILD ?? "";
  let manifest: BuiltPackage;
  let scratch = "";
  let project = "";
  let packed: string[] = [];
  let repo = "";
  /** What each export of the build itself offers, read in this process. */
  const expected: Record<string, string[]> = {};

  before(async () => {
    manifest = JSON.parse(readFileSync(join(build, "package.json"), "utf8"));
    // The build sits inside the repository: its node_modules has the toolchain.
    repo = dirname(
      dirname(dirname(createRequire(import.meta.url).resolve("typescript/package.json"))),
    );
    scratch = mkdtempSync(join(tmpdir(), "hussar-npm-"));
    const pack = JSON.parse(
      succeed(run("npm", ["pack", "--json", "--pack-destination", scratch], build), "npm pack"),
    );
    packed = pack[0].files.map((file: { path: string }) => file.path);
    project = join(scratch, "consumer");
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    );
    succeed(
      run("npm", [
        "install",
        "--offline",
        "--no-audit",
        "--no-fund",
        join(scratch, pack[0].filename),
      ], project),
      "npm install of the tarball",
    );
    // The consumer's own dev dependency; linked rather than fetched.
    mkdirSync(join(project, "node_modules", "@types"), { recursive: true });
    symlinkSync(
      join(repo, "node_modules", "@types", "node"),
      join(project, "node_modules", "@types", "node"),
    );
    writeFileSync(join(project, "consumer.mjs"), CONSUMER);
    for (const [key, target] of Object.entries(manifest.exports)) {
      expected[key] = Object.keys(await import(pathToFileURL(join(build, target.import)).href))
        .sort();
    }
  });

  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** Runs the consumer with `runtime` and checks every export and a served request. */
  function consume(runtime: string, args: string[] = []): ConsumerReport {
    const keys = JSON.stringify(Object.keys(manifest.exports));
    const out = succeed(run(runtime, [...args, "consumer.mjs", keys], project), runtime);
    const report: ConsumerReport = JSON.parse(out.trim().split("\n").at(-1)!);
    assert.deepEqual(report.exports, expected, "each export resolves to the built module");
    for (const [key, names] of Object.entries(report.exports)) {
      assert.ok(names.length > 0, `${specifier(manifest.name, key)} exports nothing`);
    }
    assert.equal(report.body, "POST /consumer hello");
    assert.equal(report.sameServe, true, `"@hussar/core" and "@hussar/core/serve" share serve`);
    return report;
  }

  it("packs the library, its types, README and LICENSE, and no tests, demo, examples or scripts", () => {
    const jsr = JSON.parse(readFileSync(join(repo, "deno.json"), "utf8"));
    assert.deepEqual(
      Object.keys(manifest.exports),
      Object.keys(jsr.exports),
      "npm and JSR entry points",
    );
    assert.equal(manifest.version, jsr.version);
    for (const [key, target] of Object.entries(manifest.exports)) {
      for (const file of [target.import, target.types]) {
        assert.ok(packed.includes(file.replace(/^\.\//, "")), `${key}: ${file} not packed`);
      }
    }
    for (const file of ["package.json", "README.md", "LICENSE"]) {
      assert.ok(packed.includes(file), `${file} not packed`);
    }
    const unwanted = packed.filter((path) => /^esm\/(tests|demo|scripts|examples)[/.]/.test(path));
    assert.deepEqual(unwanted, []);
  });

  it("passes an npm publish dry run with its package.json as built (npm corrects nothing)", () => {
    // The release workflow's command, without --provenance (only CI can sign) and the registry.
    const dryRun = run("npm", ["publish", "--dry-run", "--offline", "--access", "public"], build);
    const said = succeed(dryRun, "npm publish --dry-run") + dryRun.stderr;
    assert.doesNotMatch(said, /auto-corrected|was invalid and removed/, said);
    assert.match(said, new RegExp(`\\+ @hussar/core@${manifest.version}`), said);
  });

  it("imports every export by package name on this Node (20) and serves a request", () => {
    const report = consume(process.execPath);
    assert.equal(report.version, process.version);
  });

  it(`does the same on the current Node LTS (${NODE_LTS_VERSION}, the npm "node" package)`, (t) => {
    const node = nodeLts(t, repo);
    if (node === null) return;
    const report = consume(node);
    assert.equal(report.version, `v${NODE_LTS_VERSION}`);
  });

  it("does the same on Bun", () => {
    consume(join(repo, "node_modules", ".bin", "bun"));
  });

  it("runs the bin: `hussar app.mjs` serves a module's default export { fetch }", async () => {
    writeFileSync(
      join(project, "app.mjs"),
      `export default { fetch: (request) => new Response("app at " + new URL(request.url).pathname) };`,
    );
    const bin = join(project, "node_modules", ".bin", "hussar");
    const child = spawn(bin, ["--port", "0", "--hostname", "127.0.0.1", "app.mjs"], {
      cwd: project,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = "";
        const take = (chunk: Buffer): void => {
          output += chunk.toString();
          const match = /https?:\/\/\S+/.exec(output);
          if (match) resolve(match[0]);
        };
        child.stdout.on("data", take);
        child.stderr.on("data", take);
        child.on("exit", (code) => reject(new Error(`hussar exited (${code}): ${output}`)));
      });
      const response = await fetch(new URL("/hi", url));
      assert.equal(await response.text(), "app at /hi");
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill();
      await exited;
    }
  });

  for (const resolution of ["nodenext", "bundler"] as const) {
    it(`type-checks a TypeScript consumer with tsc (moduleResolution ${resolution})`, () => {
      const tsc = join(repo, "node_modules", "typescript", "bin", "tsc");
      writeFileSync(join(project, "consumer.ts"), TS_CONSUMER);
      writeFileSync(join(project, "mistakes.ts"), TS_MISTAKES);
      writeFileSync(join(project, "tsconfig.json"), tsconfig(resolution));
      const checked = run(process.execPath, [tsc, "-p", "tsconfig.json"], project);
      // One error per mistake, on its line (4, 5, 6): none in consumer.ts or
      // in the package's declarations.
      const errors = checked.stdout.split("\n").filter((line) => /error TS\d+/.test(line));
      assert.deepEqual(
        errors.map((line) => /^mistakes\.ts\((\d+),/.exec(line)?.[1] ?? line),
        ["4", "5", "6"],
        checked.stdout,
      );
      assert.notEqual(checked.status, 0, "tsc accepted code with type errors");
    });
  }

  it("serves the README's quick start on Deno, with the deno.json the README gives (links)", async () => {
    const app = join(scratch, "deno-app");
    mkdirSync(app);
    const config = readmeBlock(repo, "## Install", "json", /"links"/);
    const parsed = JSON.parse(config);
    assert.match(parsed.imports["@hussar/core"], /^jsr:@hussar\/core@/);
    assert.equal(parsed.links.length, 1);
    parsed.links = [repo]; // "../hussar" in the README: the clone beside the app
    writeFileSync(join(app, "deno.json"), JSON.stringify(parsed));
    writeFileSync(join(app, "app.ts"), quickStart(repo));
    const deno = join(repo, "node_modules", ".bin", "deno");
    await servesQuickStart(deno, ["run", "--allow-net", "app.ts"], app);
  });

  it("serves the README's quick start as app.mjs on Node in an `npm init -y` project, the build as a file: dependency", async () => {
    const app = join(scratch, "node-app");
    mkdirSync(app);
    succeed(run("npm", ["init", "-y"], app), "npm init -y");
    succeed(
      run("npm", ["install", "--offline", "--no-audit", "--no-fund", build], app),
      "npm install of the build folder",
    );
    const dependency = JSON.parse(readFileSync(join(app, "package.json"), "utf8"))
      .dependencies["@hussar/core"];
    assert.match(dependency, /^file:/);
    writeFileSync(join(app, "app.mjs"), quickStart(repo));
    await servesQuickStart(process.execPath, ["app.mjs"], app);
  });

  it("serves the README's quick start as app.ts on Bun, the build added with bun add", async () => {
    const app = join(scratch, "bun-app");
    mkdirSync(app);
    succeed(run("npm", ["init", "-y"], app), "npm init -y");
    const bun = join(repo, "node_modules", ".bin", "bun");
    succeed(run(bun, ["add", build], app), "bun add of the build folder");
    writeFileSync(join(app, "app.ts"), quickStart(repo));
    await servesQuickStart(bun, ["app.ts"], app);
  });
});

/** The first `lang` code block of a README section (`## Name`) whose text matches `pattern`. */
function readmeBlock(repo: string, section: string, lang: string, pattern: RegExp): string {
  const readme = readFileSync(join(repo, "README.md"), "utf8");
  const start = readme.indexOf(`\n${section}\n`);
  assert.notEqual(start, -1, `README has no ${section}`);
  const end = readme.indexOf("\n## ", start + section.length + 2);
  const text = readme.slice(start, end === -1 ? undefined : end);
  const blocks = [...text.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))];
  const block = blocks.map((match) => match[1]).find((code) => pattern.test(code));
  assert.ok(block !== undefined, `no ${lang} block matching ${pattern} in ${section}`);
  return block;
}

/**
 * The README's quick start, as written but for where it listens: on a port
 * of the kernel's choice, on loopback only.
 */
function quickStart(repo: string): string {
  const code = readmeBlock(repo, "## Quick start", "ts", /serve\(/);
  const listening = "serve({ port: 8000 },";
  assert.ok(code.includes(listening), `the quick start no longer has ${listening}`);
  return code.replace(listening, `serve({ port: 0, hostname: "127.0.0.1" },`);
}

/** Runs the quick start; checks its "Listening on" line, a GET and a POST; stops it. */
async function servesQuickStart(command: string, args: string[], cwd: string): Promise<void> {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise((resolve) => child.once("close", resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL in 60 s: ${output}`)), 60_000);
      const take = (chunk: Buffer): void => {
        output += chunk.toString();
        const match = /^Listening on (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      child.stdout!.on("data", take);
      child.stderr!.on("data", take);
      child.once("close", (code) => {
        clearTimeout(timer);
        reject(new Error(`${command} ${args.join(" ")} exited (${code}): ${output}`));
      });
    });
    assert.equal(await (await fetch(url)).text(), "hello 127.0.0.1");
    const posted = await fetch(url, { method: "POST", body: "as written" });
    assert.equal(await posted.text(), "as written");
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

/**
 * The Node LTS binary (`scripts/bench/node_lts.ts`, shared with the
 * benchmarks). Skips the test (returns null) when the registry cannot be reached.
 */
function nodeLts(t: TestContext, repo: string): string | null {
  try {
    return nodeLtsBinary(repo);
  } catch (error) {
    if (!(error instanceof RegistryUnreachableError)) throw error;
    t.skip(error.message);
    return null;
  }
}
