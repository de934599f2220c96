/** Counting results in the JUnit XML that `deno test`, `bun test` and `node --test` write. */

/** Passed, failed and skipped leaf tests of one run. */
export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

interface Case {
  name: string;
  failed: boolean;
  skipped: boolean;
}

function unescape(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(
    /&apos;/g,
    "'",
  )
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, "&");
}

/**
 * Counts the leaf test cases of a JUnit report. Deno reports a `describe`
 * block as a test case of its own, with its tests as cases named
 * `"block > test"`: a case that is the parent of another is not counted.
 */
export function tallyJUnit(xml: string): Tally {
  const cases: Case[] = [];
  const pattern = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (let match = pattern.exec(xml); match !== null; match = pattern.exec(xml)) {
    const name = unescape(/\bname="([^"]*)"/.exec(match[1])?.[1] ?? "");
    const body = match[3] ?? "";
    const failedAttr = /\bfailure="/.test(match[1]);
    cases.push({
      name,
      failed: failedAttr || /<(failure|error)\b/.test(body),
      skipped: /<skipped\b/.test(body),
    });
  }
  const names = cases.map((c) => c.name);
  const tally: Tally = { passed: 0, failed: 0, skipped: 0 };
  for (const testCase of cases) {
    const prefix = `${testCase.name} > `;
    if (names.some((name) => name.startsWith(prefix))) continue;
    if (testCase.failed) tally.failed++;
    else if (testCase.skipped) tally.skipped++;
    else tally.passed++;
  }
  return tally;
}
