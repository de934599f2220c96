/**
 * Checks the documentation of everything deno.json exports, the way JSR
 * will present it:
 *
 * 1. `deno doc --lint` over every export: JSDoc on every exported symbol and
 *    member, explicit types, no private type in a public signature;
 * 2. a TypeScript example (run by `deno test --doc`) on every exported function,
 *    class and constant, and a fenced example in each entry point's module
 *    doc.
 *
 * The entry points are read from deno.json, so a new export is checked as
 * soon as it is listed there.
 *
 * ```sh
 * deno run -A scripts/check_docs.ts
 * ```
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import process from "node:process";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { denoConfig } from "./build_npm.ts";
import { missingExamples } from "./_doc_examples.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

function deno(args: string[], capture: boolean): { status: number; stdout: string } {
  // Under Deno the running binary is deno itself; elsewhere, deno from PATH.
  const command = (globalThis as { Deno?: unknown }).Deno ? process.execPath : "deno";
  const result = spawnSync(command, args, {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit",
  });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, stdout: result.stdout ?? "" };
}

/** Runs both checks; returns the exit code. */
function main(): number {
  const entries = Object.values(denoConfig().exports);
  console.log(`docs: deno doc --lint ${entries.join(" ")}`);
  const lint = deno(["doc", "--lint", ...entries], false);
  const json = deno(["doc", "--json", ...entries], true);
  if (json.status !== 0) {
    console.error("docs: deno doc --json failed");
    return 1;
  }
  const specifiers = entries.map((entry) => new URL(entry, `file://${ROOT}/`).href);
  const problems = missingExamples(JSON.parse(json.stdout), specifiers);
  for (const problem of problems) console.error(`error[missing-example]: ${problem}`);
  if (problems.length > 0) console.error(`docs: ${problems.length} export(s) lack an example`);
  const ok = lint.status === 0 && problems.length === 0;
  if (ok) console.log(`docs: ${entries.length} entry points documented, with examples`);
  return ok ? 0 : 1;
}

if (import.meta.main) process.exit(main());
