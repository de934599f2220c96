/**
 * Reads the JUnit XML that `deno test`, `bun test` and `node --test` write,
 * down to one result per test.
 *
 * The three differ: Bun and Node nest `describe` blocks as `<testsuite>`s;
 * Deno reports a block as a `<testcase>` of its own, with its tests as
 * further cases named `"block > test"`. Node leaves `>` unescaped inside
 * attribute values, so tags are scanned quote-aware rather than up to the
 * next `>`.
 *
 * @module
 */

/** How one test ended. */
export type Outcome = "passed" | "failed" | "skipped";

/** One test of a report. */
export interface TestResult {
  /** The enclosing suites and the test's own name, joined by `" > "`. */
  name: string;
  outcome: Outcome;
}

/** Passed, failed and skipped tests of one run. */
export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

interface Case {
  /** The case's own `name` attribute. */
  own: string;
  suites: string[];
  failed: boolean;
  skipped: boolean;
}

const SEPARATOR = " > ";
const TOKEN =
  /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<[?!][^>]*>|<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
const ATTRIBUTE = /([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (entity: string, code: string) => {
    if (code[0] !== "#") return ENTITIES[code] ?? entity;
    const point = code[1] === "x" ? parseInt(code.slice(2), 16) : Number(code.slice(1));
    return String.fromCodePoint(point);
  });
}

function attributes(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of text.matchAll(ATTRIBUTE)) {
    found.set(match[1], unescapeXml(match[2] ?? match[3]));
  }
  return found;
}

function scanCases(xml: string): Case[] {
  const cases: Case[] = [];
  const suites: string[] = [];
  let current: Case | null = null;
  for (const [, closing, tag, attrs, selfClosing] of xml.matchAll(TOKEN)) {
    if (tag === undefined) continue; // comment, CDATA, declaration
    if (tag === "testsuite") {
      if (closing) suites.pop();
      else if (!selfClosing) suites.push(attributes(attrs).get("name") ?? "");
    } else if (tag === "testcase") {
      if (closing) {
        if (current !== null) cases.push(current);
        current = null;
        continue;
      }
      const attr = attributes(attrs);
      // Node also marks a failing case with a `failure` attribute.
      current = {
        own: attr.get("name") ?? "",
        suites: [...suites],
        failed: attr.has("failure"),
        skipped: false,
      };
      if (selfClosing) {
        cases.push(current);
        current = null;
      }
    } else if (current !== null && !closing) {
      if (tag === "failure" || tag === "error") current.failed = true;
      else if (tag === "skipped") current.skipped = true;
    }
  }
  return cases;
}

/**
 * The tests of a JUnit report, one result each. A Deno `describe` case whose
 * tests appear as `"name > ..."` cases is not a test itself; it is kept, as
 * a failure, only if it failed while none of its tests did (a failing hook).
 */
export function readJUnit(xml: string): TestResult[] {
  const cases = scanCases(xml);
  const parents = new Set<string>();
  const failingParents = new Set<string>();
  for (const { own, failed } of cases) {
    for (let at = own.indexOf(SEPARATOR); at !== -1; at = own.indexOf(SEPARATOR, at + 1)) {
      parents.add(own.slice(0, at));
      if (failed) failingParents.add(own.slice(0, at));
    }
  }
  const results: TestResult[] = [];
  for (const testCase of cases) {
    const isParent = parents.has(testCase.own);
    if (isParent && (!testCase.failed || failingParents.has(testCase.own))) continue;
    // Deno files its describe-block tests under an internal suite name ("ext:...").
    const path = testCase.suites.filter((suite) => suite !== "" && !suite.startsWith("ext:"));
    results.push({
      name: [...path, testCase.own].join(SEPARATOR),
      outcome: testCase.failed ? "failed" : testCase.skipped ? "skipped" : "passed",
    });
  }
  return results;
}

/** Adds up results by outcome. */
export function tally(results: readonly TestResult[]): Tally {
  const counts: Tally = { passed: 0, failed: 0, skipped: 0 };
  for (const { outcome } of results) counts[outcome]++;
  return counts;
}

/** Counts the tests of a JUnit report by outcome (see {@link readJUnit}). */
export function tallyJUnit(xml: string): Tally {
  return tally(readJUnit(xml));
}
