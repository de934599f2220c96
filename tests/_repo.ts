/** Test helper: the repository the tests belong to, from wherever they run. */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository: the first folder up from `from` (a test's `import.meta.url`)
 * that holds a deno.json. The npm build's compiled tests sit deeper
 * (`.build/NAME/esm/tests/`), and find the same one.
 */
export function repositoryRoot(from: string): string {
  let dir = dirname(fileURLToPath(from));
  while (!existsSync(join(dir, "deno.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no deno.json above ${from}`);
    dir = parent;
  }
  return dir;
}
