/**
 * The npm build the benchmark drivers run before measuring Node, which
 * runs hussar from it rather than from the TypeScript sources.
 *
 * @module
 */
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { binary } from "./_args.ts";
import { run } from "./_load.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Builds the npm package into `out` (a folder of the repository); rejects with the build's output if it fails. */
export async function buildForNode(out: string): Promise<void> {
  console.log(`building the npm package into ${out} for Node ...`);
  process.env.HUSSAR_NPM_OUT = out; // inherited by the build, and by the Node servers after it
  await run(
    [binary("deno"), "run", "-A", join(ROOT, "scripts", "build_npm.ts"), "--skip-test"],
    300_000,
  ).catch((error) => {
    throw new Error(`npm build failed: ${error.message}`);
  });
}
