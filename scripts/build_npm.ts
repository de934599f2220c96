/**
 * Builds the npm package into `npm/` from the same sources, the way dnt
 * would (dnt needs JSR, which is out of reach): the TypeScript compiler from
 * node_modules type-checks and emits ESM plus `.d.ts` with relative `.ts`
 * specifiers rewritten to `.js`, a package.json is written from deno.json,
 * README and LICENSE are copied. It only builds: `npm test`
 * (`scripts/test.ts`) runs the suite on Node against the build. A build that
 * fails leaves no package behind.
 *
 *   deno run -A scripts/build_npm.ts
 *
 * `HUSSAR_NPM_OUT=.build/NAME` builds into that folder instead of `npm/`.
 * (`--skip-test`, from when the build also tested, is accepted and changes
 * nothing.)
 *
 * The published modules are what deno.json exports, and everything they
 * import. The tests (and the demo and benchmarks) are built beside them in
 * `npm/esm/`, with the same relative layout so their `../../x/mod.ts`
 * imports reach the built files, but are left out of the package's `files`.
 *
 * @module
 */
import type ts from "typescript";
import {
  copyFileSync,
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
import { fileURLToPath } from "node:url";
import { RUNTIME_ADAPTER } from "../internal/runtime_types.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/**
 * Where the package is built: `npm/`, or `HUSSAR_NPM_OUT` (a folder inside
 * the repository, so built tests still find node_modules), which lets
 * parallel builds keep out of each other's way.
 */
export const OUT: string = join(ROOT, process.env.HUSSAR_NPM_OUT ?? "npm");
const ESM = join(OUT, "esm");
/** Built for Node's test run, the demo and the benchmarks; not published. */
const UNPUBLISHED = [
  "tests",
  "demo.ts",
  "demo",
  "scripts/bench",
  "scripts/soak.ts",
  "scripts/slowloris.ts",
  "examples",
];
const DESCRIPTION =
  "A TypeScript HTTP server core on a by-signal coroutine scheduler; runs on Deno, Bun and Node.";

interface DenoConfig {
  name: string;
  version: string;
  license?: string;
  exports: Record<string, string>;
  compilerOptions?: Record<string, unknown>;
}

/** deno.json, the single source of the package's name, version and entry points. */
export function denoConfig(): DenoConfig {
  return JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
}

/**
 * hussar's internal module: what several folders share and none exports
 * (see internal/mod.ts). Published with the entry points that import it.
 */
const INTERNAL = "internal";

/**
 * The top-level files and folders holding the library: for each deno.json
 * export, its folder (`scheduler` for `./scheduler/mod.ts`) or its file
 * (`mod.ts`), and the internal module. Also the places `scripts/test.ts`
 * runs JSDoc examples in.
 */
export function libraryEntries(config: DenoConfig = denoConfig()): string[] {
  const entries = Object.values(config.exports).map((path) =>
    path.replace(/^\.\//, "").split("/")[0]
  );
  return [...new Set([...entries, INTERNAL])];
}

function walkTs(path: string): string[] {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return /\.m?ts$/.test(path) ? [path] : [];
  return readdirSync(path).sort().flatMap((name) => walkTs(join(path, name)));
}

function isRelativeTs(specifier: string): boolean {
  return /^\.\.?\//.test(specifier) && /\.[mc]?ts$/.test(specifier) &&
    !/\.d\.[mc]?ts$/.test(specifier);
}

function toJs(specifier: string): string {
  return specifier.replace(/\.([mc]?)ts$/, ".$1js");
}

/**
 * `rewriteRelativeImportExtensions` rewrites emitted JavaScript only; this
 * does the same for declarations (import/export declarations and
 * `import("...")` types), so the `.d.ts` files resolve under Node too.
 */
function rewriteDeclarations(
  typescript: typeof ts,
): ts.TransformerFactory<ts.SourceFile | ts.Bundle> {
  return (context) => {
    const f = context.factory;
    const literal = (node: ts.Expression | undefined): node is ts.StringLiteral =>
      node !== undefined && typescript.isStringLiteral(node) && isRelativeTs(node.text);
    const visit = (node: ts.Node): ts.Node => {
      if (typescript.isImportDeclaration(node) && literal(node.moduleSpecifier)) {
        return f.updateImportDeclaration(
          node,
          node.modifiers,
          node.importClause,
          f.createStringLiteral(toJs(node.moduleSpecifier.text)),
          node.attributes,
        );
      }
      if (typescript.isExportDeclaration(node) && literal(node.moduleSpecifier)) {
        return f.updateExportDeclaration(
          node,
          node.modifiers,
          node.isTypeOnly,
          node.exportClause,
          f.createStringLiteral(toJs(node.moduleSpecifier.text)),
          node.attributes,
        );
      }
      if (
        typescript.isImportTypeNode(node) && typescript.isLiteralTypeNode(node.argument) &&
        literal(node.argument.literal)
      ) {
        const specifier = f.createStringLiteral(toJs(node.argument.literal.text));
        return f.updateImportTypeNode(
          node,
          f.updateLiteralTypeNode(node.argument, specifier),
          node.attributes,
          node.qualifier,
          node.typeArguments,
          node.isTypeOf,
        );
      }
      return typescript.visitEachChild(node, visit, context);
    };
    return (root) => typescript.visitNode(root, visit) as ts.SourceFile | ts.Bundle;
  };
}

/** Options for tsc: deno.json's type-checking strictness, plus ESM/ES2022 output. */
function compilerOptions(typescript: typeof ts, config: DenoConfig): ts.CompilerOptions {
  // Deno-only settings (lib names such as "deno.ns", JSX) do not apply to tsc.
  const { lib: _lib, types: _types, jsx: _jsx, jsxImportSource: _jsxSource, ...shared } =
    config.compilerOptions ?? {};
  const converted = typescript.convertCompilerOptionsFromJson(shared, ROOT);
  if (converted.errors.length > 0) throw new BuildError(format(typescript, converted.errors));
  return {
    ...converted.options,
    target: typescript.ScriptTarget.ES2022,
    module: typescript.ModuleKind.ESNext,
    moduleResolution: typescript.ModuleResolutionKind.Bundler,
    // The Web platform APIs the library is written against, and Node's types for `node:` imports.
    lib: ["lib.es2023.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts", "lib.dom.asynciterable.d.ts"],
    types: ["node"],
    typeRoots: [join(ROOT, "node_modules", "@types")],
    allowImportingTsExtensions: true,
    rewriteRelativeImportExtensions: true,
    declaration: true,
    // Members tagged @internal (the `_` ones the layers share) stay out of the published types.
    stripInternal: true,
    skipLibCheck: true,
    rootDir: ROOT,
    outDir: ESM,
    newLine: typescript.NewLineKind.LineFeed,
  };
}

class BuildError extends Error {}

function format(typescript: typeof ts, diagnostics: readonly ts.Diagnostic[]): string {
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => "\n",
  };
  return process.stderr.isTTY
    ? typescript.formatDiagnosticsWithColorAndContext(diagnostics, host)
    : typescript.formatDiagnostics(diagnostics, host);
}

async function compile(config: DenoConfig): Promise<void> {
  // Loaded here so that importing this module (scripts/test.ts does) stays cheap.
  const typescript: typeof ts = (await import("typescript")).default;
  const roots = [...libraryEntries(config), ...UNPUBLISHED].flatMap((entry) =>
    walkTs(join(ROOT, entry))
  );
  const options = compilerOptions(typescript, config);
  const program = typescript.createProgram(roots, options);
  const preEmit = typescript.getPreEmitDiagnostics(program);
  if (preEmit.length > 0) {
    throw new BuildError(`${format(typescript, preEmit)}\n${preEmit.length} TypeScript error(s)`);
  }
  const written: string[] = [];
  const result = program.emit(
    undefined,
    (fileName, text) => {
      mkdirSync(dirname(fileName), { recursive: true });
      writeFileSync(fileName, text);
      written.push(fileName);
    },
    undefined,
    false,
    { afterDeclarations: [rewriteDeclarations(typescript)] },
  );
  if (result.emitSkipped || result.diagnostics.length > 0) {
    throw new BuildError(`emit failed\n${format(typescript, result.diagnostics)}`);
  }
  // TypeScript's own scanner lists every import, export, import() and import type.
  const leftover = written.flatMap((file) =>
    typescript.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles
      .filter(({ fileName }) => isRelativeTs(fileName))
      .map(({ fileName }) => `${relative(ROOT, file)}: "${fileName}"`)
  );
  if (leftover.length > 0) {
    throw new BuildError(`.ts specifiers left in the output:\n  ${leftover.join("\n  ")}`);
  }
  console.log(
    `npm build: type-checked and emitted ${written.length} files into ${relative(ROOT, ESM)}/`,
  );
}

function writePackage(config: DenoConfig): void {
  const exports: Record<string, { types: string; import: string }> = {};
  for (const [key, path] of Object.entries(config.exports)) {
    const base = path.replace(/^\.\//, "./esm/").replace(/\.ts$/, "");
    exports[key] = { types: `${base}.d.ts`, import: `${base}.js` };
    for (const file of Object.values(exports[key])) {
      if (!existsSync(join(OUT, file))) {
        throw new BuildError(`export "${key}": ${file} not emitted`);
      }
    }
  }
  const files = libraryEntries(config).map((entry) =>
    entry.endsWith(".ts") ? `esm/${entry.replace(/\.ts$/, "")}.*` : `esm/${entry}/`
  );
  // Each runtime imports its own socket adapter (sources/listen.ts; detection where this is absent).
  const adapters = { deno: "deno", bun: "bun", node: "node" } as const;
  const imports: Record<string, Record<string, string>> = { [RUNTIME_ADAPTER]: {} };
  for (const [condition, file] of Object.entries(adapters)) {
    const target = `./esm/sources/${file}.js`;
    if (!existsSync(join(OUT, target))) throw new BuildError(`${target} not emitted`);
    imports[RUNTIME_ADAPTER][condition] = target;
  }
  imports[RUNTIME_ADAPTER].default = `./esm/sources/${adapters.node}.js`;
  const pkg: Record<string, unknown> = {
    name: config.name,
    version: config.version,
    description: DESCRIPTION,
    license: config.license ?? "MIT",
    type: "module",
    engines: { node: ">=20" },
    main: exports["."]?.import,
    types: exports["."]?.types,
    exports,
    imports,
    files,
    sideEffects: false,
  };
  // No "./" in front: npm publish drops such a bin as "invalid" (npm 11).
  if (config.exports["./cli"]) pkg.bin = { hussar: exports["./cli"].import.replace(/^\.\//, "") };
  writeFileSync(join(OUT, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  for (const file of ["README.md", "LICENSE"]) copyFileSync(join(ROOT, file), join(OUT, file));
}

if (import.meta.main) {
  const unknown = process.argv.slice(2).filter((a) => a !== "--skip-test");
  if (unknown.length > 0) {
    console.error(`usage: build_npm.ts (it only builds; npm test runs the Node suite)`);
    process.exit(2);
  }
  try {
    const config = denoConfig();
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    await compile(config);
    writePackage(config);
  } catch (error) {
    rmSync(OUT, { recursive: true, force: true }); // nothing half-built to pack or publish
    if (!(error instanceof BuildError)) throw error;
    console.error(`npm build failed: ${error.message}`);
    process.exit(1);
  }
  console.log(`npm build: ${relative(ROOT, OUT)}/ is ready to pack`);
}
