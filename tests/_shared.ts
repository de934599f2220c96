/**
 * Locates the `shared/` folder that sits beside the repository (it holds the
 * conformance corpora). The runners set `HUSSAR_SHARED` to its absolute
 * path; without it, the folders above this file are searched, so a test finds
 * it both from `tests/` and from the npm build's `npm/esm/tests/`.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * The absolute path of the `shared/` folder, or `null` when it cannot be
 * found (a test that needs it should then skip, saying why).
 */
export function sharedDir(): string | null {
  const explicit = process.env.HUSSAR_SHARED;
  if (explicit) return existsSync(explicit) ? explicit : null;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let parent = dirname(dir); parent !== dir; dir = parent, parent = dirname(dir)) {
    const candidate = join(parent, "shared");
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** The `shared/conformance/` folder as a directory URL, or `null` when it is missing. */
export function conformanceDir(): URL | null {
  const shared = sharedDir();
  if (shared === null) return null;
  const conformance = join(shared, "conformance");
  return existsSync(conformance) ? pathToFileURL(conformance + "/") : null;
}
