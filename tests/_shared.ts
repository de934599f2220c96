/**
 * Locates the conformance corpora (`shared/conformance/`, beside the repo in
 * CI). `HUSSAR_SHARED` names the `shared` folder explicitly; otherwise the
 * folders above this file are searched, so the same test finds it from
 * `tests/` and from the npm build's `npm/esm/tests/`.
 */
import { existsSync } from "node:fs";
import process from "node:process";

export function conformanceDir(): URL | null {
  const explicit = process.env.HUSSAR_SHARED;
  if (explicit) {
    const url = new URL(`file://${explicit.replace(/\/?$/, "/")}conformance/`);
    return existsSync(url) ? url : null;
  }
  for (let dir = new URL("./", import.meta.url); dir.pathname !== "/"; dir = new URL("../", dir)) {
    const candidate = new URL("shared/conformance/", dir);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}
