/**
 * The layering rules of the library's folders, checked by
 * `tests/scripts/layering_test.ts` (so by `npm test`):
 *
 * 1. A `_` file is private to its folder: no other folder imports it.
 * 2. What several folders share and none exports lives in `internal/`, which
 *    takes nothing from the other folders at run time (type imports only):
 *    it is the bottom layer.
 * 3. No cycle between folders: if `serve/` imports `workers/`, nothing in
 *    `workers/` imports `serve/`, however indirectly.
 *
 * @example
 * ```ts
 * import { layeringProblems } from "./_layering.ts";
 * const files = new Map([
 *   ["serve/serve.ts", 'import { pool } from "../workers/_pool.ts";'],
 *   ["workers/_pool.ts", "export const pool = 1;"],
 * ]);
 * console.log(layeringProblems(files));
 * // [ 'serve/serve.ts imports workers/_pool.ts, a private file of workers/' ]
 * ```
 *
 * @module
 */

/** The folder that holds what the others share (rule 2). */
export const INTERNAL = "internal";

/** One relative import, both ends as repository paths (`serve/serve.ts`). */
export interface ImportEdge {
  /** The importing file. */
  from: string;
  /** The imported file. */
  to: string;
  /** `import type` / `export type`, or only `type` specifiers: gone at run time. */
  typeOnly: boolean;
  /** `import("...")`: loaded when the code runs it, not with the module. */
  dynamic: boolean;
}

/** A path's folder: its first segment, `.` for a file at the top. */
export function folderOf(path: string): string {
  const slash = path.indexOf("/");
  return slash === -1 ? "." : path.slice(0, slash);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** `a/b/../c.ts` as `a/c.ts`. */
function normalize(path: string): string {
  const out: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "..") out.pop();
    else if (segment !== "." && segment !== "") out.push(segment);
  }
  return out.join("/");
}

/** Source without comments, so that JSDoc examples are not taken for imports. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/**
 * The relative imports and re-exports of `file` (static ones and `import()`),
 * resolved against its place.
 *
 * @example
 * ```ts
 * import { importsOf } from "./_layering.ts";
 * console.log(importsOf("serve/types.ts", 'import type { Logger } from "../internal/logger.ts";'));
 * // [ { from: "serve/types.ts", to: "internal/logger.ts", typeOnly: true, dynamic: false } ]
 * ```
 */
export function importsOf(file: string, source: string): ImportEdge[] {
  const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "";
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean, dynamic = false): void => {
    if (specifier.startsWith("node:")) edges.push({ from: file, to: specifier, typeOnly, dynamic });
    if (!specifier.startsWith(".")) return;
    edges.push({ from: file, to: normalize(`${dir}/${specifier}`), typeOnly, dynamic });
  };
  const text = code(source);
  const fromClause = /\b(import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']/g;
  for (const [, , typeKeyword, clause, specifier] of text.matchAll(fromClause)) {
    const named = /^\{([\s\S]*)\}$/.exec(clause.trim())?.[1];
    const names = named?.split(",").map((n) => n.trim()).filter((n) => n !== "") ?? [];
    const allTypes = names.length > 0 && names.every((n) => n.startsWith("type "));
    add(specifier, typeKeyword !== undefined || allTypes);
  }
  for (const [, specifier] of text.matchAll(/^\s*import\s*["']([^"']+)["']/gm)) {
    add(specifier, false);
  }
  for (const [, specifier] of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) {
    add(specifier, false, true);
  }
  return edges;
}

/** The folder graph's cycles, each as its folders (strongly connected components of two or more). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  // Tarjan's algorithm.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

/**
 * What breaks the rules in `files` (repository path → source), one line per
 * problem; none when the layering holds.
 *
 * @example
 * ```ts
 * import { layeringProblems } from "./_layering.ts";
 * const files = new Map([
 *   ["serve/serve.ts", 'import { WorkerPool } from "../workers/pool.ts";'],
 *   ["workers/pool.ts", 'import { serve } from "../serve/serve.ts";'],
 * ]);
 * console.log(layeringProblems(files)[0]);
 * // a cycle between folders serve/, workers/: serve/serve.ts -> workers/pool.ts; workers/pool.ts -> serve/serve.ts
 * ```
 */
export function layeringProblems(files: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const graph = new Map<string, Set<string>>();
  const witnesses = new Map<string, string>();
  for (const [file, source] of files) {
    const from = folderOf(file);
    if (!graph.has(from)) graph.set(from, new Set());
    for (const edge of importsOf(file, source)) {
      if (edge.to.startsWith("node:")) continue;
      const to = folderOf(edge.to);
      if (to === from) continue;
      if (baseName(edge.to).startsWith("_")) {
        problems.push(`${file} imports ${edge.to}, a private file of ${to}/`);
      }
      if (from === INTERNAL) {
        if (!edge.typeOnly) {
          problems.push(
            `${file} imports ${edge.to} at run time: ${INTERNAL}/ may import only types`,
          );
        }
        continue; // types only: no edge at run time
      }
      graph.get(from)!.add(to);
      const key = `${from}\n${to}`;
      if (!witnesses.has(key)) witnesses.set(key, `${file} -> ${edge.to}`);
    }
  }
  for (const component of cycles(graph)) {
    const members = new Set(component);
    const ties = [...witnesses].filter(([key]) => {
      const [from, to] = key.split("\n");
      return members.has(from) && members.has(to);
    }).map(([, witness]) => witness).sort();
    problems.push(
      `a cycle between folders ${component.map((f) => `${f}/`).join(", ")}: ${ties.join("; ")}`,
    );
  }
  return problems;
}

/**
 * The files `entry` loads with it at run time (static, non-type imports,
 * followed through `files`), and the `node:` modules among what they import
 * that way.
 *
 * @example
 * ```ts
 * import { loadedWith } from "./_layering.ts";
 * const files = new Map([
 *   ["mod.ts", 'import { listen } from "./listen.ts";'],
 *   ["listen.ts", 'export const listen = () => import("./node.ts");'],
 *   ["node.ts", 'import { createServer } from "node:net";'],
 * ]);
 * console.log(loadedWith(files, "mod.ts").builtins); // []
 * ```
 */
export function loadedWith(
  files: ReadonlyMap<string, string>,
  entry: string,
): { files: string[]; builtins: string[] } {
  const seen = new Set<string>();
  const builtins = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file) || !files.has(file)) return;
    seen.add(file);
    for (const edge of importsOf(file, files.get(file)!)) {
      if (edge.typeOnly || edge.dynamic) continue;
      if (edge.to.startsWith("node:")) builtins.add(edge.to);
      else visit(edge.to);
    }
  };
  visit(entry);
  return { files: [...seen].sort(), builtins: [...builtins].sort() };
}
