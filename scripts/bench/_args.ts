/**
 * What the benchmark scripts share to read their command line and find the
 * pinned tools.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository, seen from the sources (the drivers run from them, not from a build). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The value of `--name=value`, or `undefined` when not given. */
export function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/** `--name=a,b` as a subset of `all` (in `all`'s order); `defaults` (all) when not given. */
export function list<T extends string>(
  name: string,
  all: readonly T[],
  defaults: readonly T[] = all,
): T[] {
  const value = option(name);
  if (value === undefined) return [...defaults];
  const chosen = value.split(",");
  for (const item of chosen) {
    if (!all.includes(item as T)) throw new Error(`--${name}: unknown ${item} (of ${all})`);
  }
  return all.filter((item) => chosen.includes(item));
}

/** A tool from node_modules/.bin (the pinned deno and bun) if there, else from PATH. */
export function binary(name: string): string {
  const local = join(ROOT, "node_modules", ".bin", name);
  return existsSync(local) ? local : name;
}
