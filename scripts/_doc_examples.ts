/**
 * The example rule of `scripts/check_docs.ts`, apart from the script so the
 * tests can import it on every runtime.
 *
 * @module
 */

/** The part of `deno doc --json` (format version 2) this check reads. */
export interface DocJson {
  /** Documentation nodes by module specifier. */
  nodes: Record<string, DocModule>;
}

/** One module of {@linkcode DocJson}. */
export interface DocModule {
  /** The module's `@module` documentation, if any. */
  module_doc?: JsDoc;
  /** Its exported symbols, re-exports included. */
  symbols: { name: string; declarations: DocDeclaration[] }[];
}

/** One declaration of a symbol (an overload is a declaration of its own). */
export interface DocDeclaration {
  /** `function`, `class`, `variable`, `interface`, `typeAlias`, ... */
  kind: string;
  /** Where it is declared. */
  location: { filename: string; line: number };
  /** Its JSDoc, if any. */
  jsDoc?: JsDoc;
}

/** A JSDoc comment as `deno doc --json` gives it. */
export interface JsDoc {
  /** The text before the tags. */
  doc?: string;
  /** The tags (`@example` is `{ kind: "example", doc }`). */
  tags?: { kind: string; doc?: string }[];
}

/** Kinds of declaration that must show a runnable example. */
const NEEDS_EXAMPLE = new Set(["function", "class", "variable"]);

function examples(jsDoc: JsDoc | undefined): string[] {
  if (jsDoc === undefined) return [];
  return [jsDoc.doc ?? "", ...(jsDoc.tags ?? []).map((tag) => tag.doc ?? "")];
}

/** Whether some text holds a fenced block in TypeScript or JavaScript. */
function hasRunnableExample(texts: string[]): boolean {
  return texts.some((text) => /^\s*```(ts|typescript|js|javascript)\b/m.test(text));
}

function hasFencedExample(texts: string[]): boolean {
  return texts.some((text) => /^\s*```/m.test(text));
}

/**
 * What lacks an example in `doc`, one line per problem with the file and
 * line: entry points (`entryPoints`, module specifiers) whose module doc has
 * no fenced block, and exported functions, classes and constants with no
 * TypeScript example block on any of their declarations (an overload set
 * needs one).
 *
 * @example
 * ```ts
 * import { missingExamples } from "./_doc_examples.ts";
 * const fence = "`".repeat(3);
 * const doc = {
 *   nodes: {
 *     "file:///mod.ts": {
 *       module_doc: { doc: `${fence}ts\nconsole.log(1);\n${fence}` },
 *       symbols: [{
 *         name: "LIMIT",
 *         declarations: [{ kind: "variable", location: { filename: "file:///a.ts", line: 3 } }],
 *       }],
 *     },
 *   },
 * };
 * console.log(missingExamples(doc, ["file:///mod.ts"]));
 * // [ "file:///a.ts:3: LIMIT (variable) has no TypeScript example" ]
 * ```
 */
export function missingExamples(doc: DocJson, entryPoints: readonly string[]): string[] {
  const problems: string[] = [];
  for (const specifier of entryPoints) {
    const module = doc.nodes[specifier];
    if (module === undefined) {
      problems.push(`${specifier}: not in the documentation output`);
    } else if (!hasFencedExample(examples(module.module_doc))) {
      problems.push(`${specifier}: the module doc (@module) has no fenced example`);
    }
  }
  const seen = new Set<string>();
  for (const module of Object.values(doc.nodes)) {
    for (const { name, declarations } of module.symbols) {
      const checked = declarations.filter((d) => NEEDS_EXAMPLE.has(d.kind));
      if (checked.length === 0) continue;
      const { filename, line } = checked[0].location;
      const key = `${filename}:${line}:${name}`;
      if (seen.has(key)) continue; // re-exported by several entry points
      seen.add(key);
      if (!hasRunnableExample(checked.flatMap((d) => examples(d.jsDoc)))) {
        problems.push(
          `${filename}:${line}: ${name} (${checked[0].kind}) has no TypeScript example`,
        );
      }
    }
  }
  return problems;
}
