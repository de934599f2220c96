import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { type DocDeclaration, type DocJson, missingExamples } from "../../scripts/_doc_examples.ts";

const TS_EXAMPLE = { tags: [{ kind: "example", doc: "```ts\nconsole.log(1);\n```" }] };

function declaration(kind: string, line: number, jsDoc?: DocDeclaration["jsDoc"]): DocDeclaration {
  return { kind, location: { filename: "file:///lib/a.ts", line }, jsDoc };
}

function docOf(
  symbols: DocJson["nodes"][string]["symbols"],
  moduleDoc = "```ts\nx;\n```",
): DocJson {
  return { nodes: { "file:///lib/mod.ts": { module_doc: { doc: moduleDoc }, symbols } } };
}

describe("scripts/check_docs.ts: missingExamples", () => {
  it("accepts functions, classes and constants with a ```ts example in the text or an @example", () => {
    const doc = docOf([
      { name: "f", declarations: [declaration("function", 1, TS_EXAMPLE)] },
      {
        name: "C",
        declarations: [declaration("class", 2, { doc: "A class.\n\n```ts\nnew C();\n```" })],
      },
    ]);
    assert.deepEqual(missingExamples(doc, ["file:///lib/mod.ts"]), []);
  });

  it("names each function, class and constant without one, with file and line", () => {
    const doc = docOf([
      { name: "f", declarations: [declaration("function", 1, { doc: "Does f." })] },
      { name: "C", declarations: [declaration("class", 5)] },
      // A shell block is not runnable by `deno test --doc`.
      { name: "N", declarations: [declaration("variable", 9, { doc: "```sh\nls\n```" })] },
    ]);
    assert.deepEqual(missingExamples(doc, ["file:///lib/mod.ts"]), [
      "file:///lib/a.ts:1: f (function) has no TypeScript example",
      "file:///lib/a.ts:5: C (class) has no TypeScript example",
      "file:///lib/a.ts:9: N (variable) has no TypeScript example",
    ]);
  });

  it("does not ask interfaces and type aliases for examples", () => {
    const doc = docOf([
      { name: "Options", declarations: [declaration("interface", 1, { doc: "Options." })] },
      { name: "Handler", declarations: [declaration("typeAlias", 2, { doc: "A handler." })] },
    ]);
    assert.deepEqual(missingExamples(doc, ["file:///lib/mod.ts"]), []);
  });

  it("is satisfied by one example on an overload set, and reports a symbol once", () => {
    const overloads = {
      name: "serve",
      declarations: [
        declaration("function", 10, TS_EXAMPLE),
        declaration("function", 11, { doc: "Another form." }),
        declaration("function", 12),
      ],
    };
    const bare = { name: "g", declarations: [declaration("function", 20)] };
    const doc: DocJson = {
      nodes: {
        "file:///lib/mod.ts": { module_doc: TS_EXAMPLE, symbols: [overloads, bare] },
        "file:///lib/sub.ts": { module_doc: TS_EXAMPLE, symbols: [overloads, bare] },
      },
    };
    assert.deepEqual(missingExamples(doc, ["file:///lib/mod.ts", "file:///lib/sub.ts"]), [
      "file:///lib/a.ts:20: g (function) has no TypeScript example",
    ]);
  });

  it("requires a fenced example in each entry point's module doc, and the entry point itself", () => {
    const doc = docOf([], "Just prose.");
    assert.deepEqual(missingExamples(doc, ["file:///lib/mod.ts", "file:///lib/gone.ts"]), [
      "file:///lib/mod.ts: the module doc (@module) has no fenced example",
      "file:///lib/gone.ts: not in the documentation output",
    ]);
  });
});
