/**
 * Builds the npm package into `npm/` from the same sources, the way dnt
 * would (dnt itself needs JSR, which is out of reach): the TypeScript
 * compiler from npm emits ESM and `.d.ts` with relative `.ts` specifiers
 * rewritten to `.js`, a package.json is written from deno.json, README and
 * LICENSE are copied, then the test suite runs on Node against the build.
 *
 *   deno run -A scripts/build_npm.ts [--skip-test] [--junit=PATH]
 *
 * @module
 */
import ts from "typescript";
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import process from "node:process";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const OUT = join(ROOT, "npm");
const ESM = join(OUT, "esm");
/** Library folders published in the package. */
export const LIBRARY_DIRS = ["scheduler", "core", "httputil", "sources"];
/** Built too, for Node's test run and the demo, but not published. */
const EXTRA_ENTRIES = ["demo.ts", "demo", "tests", "scripts/bench"];

function walk(path: string): string[] {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return path.endsWith(".ts") ? [path] : [];
  return readdirSync(path).flatMap((name) => walk(join(path, name)));
}

/** Relative `.ts` specifiers become `.js` (dnt's rewrite), in code and declarations alike. */
function rewriteSpecifiers(text: string): string {
  return text.replace(
    /((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']+?)\.ts(["'])/g,
    (_, before: string, path: string, after: string) => `${before}${path}.js${after}`,
  );
}

function compile(): void {
  const rootNames = [join(ROOT, "mod.ts"), ...LIBRARY_DIRS.flatMap((d) => walk(join(ROOT, d)))];
  for (const entry of EXTRA_ENTRIES) rootNames.push(...walk(join(ROOT, entry)));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts", "lib.dom.asynciterable.d.ts"],
    types: ["node"],
    typeRoots: [join(ROOT, "node_modules/@types")],
    allowImportingTsExtensions: true,
    rewriteRelativeImportExtensions: true,
    declaration: true,
    strict: true,
    noImplicitOverride: true,
    noImplicitReturns: true,
    skipLibCheck: true,
    rootDir: ROOT,
    outDir: ESM,
    sourceMap: false,
    newLine: ts.NewLineKind.LineFeed,
  };
  const host = ts.createCompilerHost(options);
  const program = ts.createProgram(rootNames, options, host);
  const written: string[] = [];
  const result = program.emit(undefined, (fileName, text) => {
    mkdirSync(dirname(fileName), { recursive: true });
    writeFileSync(fileName, rewriteSpecifiers(text));
    written.push(fileName);
  });
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
  if (diagnostics.length > 0) {
    console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => ROOT,
      getNewLine: () => "\n",
    }));
    throw new Error(`npm build: ${diagnostics.length} TypeScript diagnostic(s)`);
  }
  const leftover = written.filter((f) =>
    /from\s*["']\.{1,2}\/[^"']+\.ts["']/.test(readFileSync(f, "utf8"))
  );
  if (leftover.length > 0) {
    throw new Error(`npm build: .ts specifiers left in ${leftover.join(", ")}`);
  }
  console.log(`npm build: emitted ${written.length} files into ${relative(ROOT, OUT)}/`);
}

function writePackageJson(): void {
  const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
  const exports: Record<string, { types: string; import: string }> = {};
  for (const [key, path] of Object.entries(deno.exports as Record<string, string>)) {
    const base = path.replace(/^\.\//, "./esm/").replace(/\.ts$/, "");
    exports[key] = { types: `${base}.d.ts`, import: `${base}.js` };
  }
  const pkg = {
    name: deno.name,
    version: deno.version,
    description:
      "A TypeScript HTTP server core on a by-signal coroutine scheduler; runs on Deno, Bun and Node.",
    license: deno.license,
    type: "module",
    engines: { node: ">=20" },
    main: "./esm/mod.js",
    types: "./esm/mod.d.ts",
    exports,
    files: ["esm/", "!esm/tests/", "!esm/scripts/", "!esm/demo/", "!esm/demo.*"],
    sideEffects: false,
  };
  writeFileSync(join(OUT, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  for (const file of ["README.md", "LICENSE"]) cpSync(join(ROOT, file), join(OUT, file));
}

function runNodeTests(junit: string | null): number {
  const tests = listJs(join(ESM, "tests")).filter((f) => f.endsWith("_test.js")).sort();
  const args = ["--test", "--test-reporter=spec", "--test-reporter-destination=stdout"];
  if (junit !== null) args.push("--test-reporter=junit", `--test-reporter-destination=${junit}`);
  const run = spawnSync("node", [...args, ...tests], {
    stdio: "inherit",
    cwd: OUT,
    env: process.env,
  });
  return run.status ?? 1;
}

function listJs(path: string): string[] {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return path.endsWith(".js") ? [path] : [];
  return readdirSync(path).flatMap((name) => listJs(join(path, name)));
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const skipTest = args.includes("--skip-test");
  const junit = args.find((a) => a.startsWith("--junit="))?.slice("--junit=".length) ?? null;
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  compile();
  writePackageJson();
  if (!skipTest) process.exit(runNodeTests(junit));
}
