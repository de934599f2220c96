import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { readJUnit, tally, tallyJUnit } from "../../scripts/_junit.ts";

// Trimmed from the reports each runtime wrote for one file:
//   describe("group", () => { it("passes"); describe("inner", () => { it("deep"); it("deepfail") }) })
//   test("top"); test("fails") (throws); test.skip("skips")
const DENO = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="deno test" tests="8" failures="3" errors="0" time="0.010">
    <testsuite name="./tests/a_test.ts" tests="4" disabled="1" errors="0" failures="2">
        <testcase name="group" classname="./tests/a_test.ts" time="0.005" line="3" col="1">
            <failure message="1 test step failed">1 test step failed.</failure>
        </testcase>
        <testcase name="top" classname="./tests/a_test.ts" time="0.000" line="13" col="1">
        </testcase>
        <testcase name="fails" classname="./tests/a_test.ts" time="0.000" line="14" col="1">
            <failure message="Uncaught Error: boom &lt;&amp;&gt;">Error: boom &lt;&amp;&gt;</failure>
        </testcase>
        <testcase name="skips" classname="./tests/a_test.ts" time="0.000" line="15" col="6">
            <skipped/>
        </testcase>
    </testsuite>
    <testsuite name="ext:deno_node/testing.ts" tests="4" disabled="0" errors="0" failures="2">
        <testcase name="group &gt; passes" classname="ext:deno_node/testing.ts" time="0.001">
        </testcase>
        <testcase name="group &gt; inner" classname="ext:deno_node/testing.ts" time="0.002">
            <failure message="1 test step failed">1 test step failed.</failure>
        </testcase>
        <testcase name="group &gt; inner &gt; deep" classname="ext:deno_node/testing.ts" time="0.000">
        </testcase>
        <testcase name="group &gt; inner &gt; deepfail" classname="ext:deno_node/testing.ts">
            <failure message="Uncaught AssertionError">AssertionError: 1 !== 2</failure>
        </testcase>
    </testsuite>
</testsuites>`;

const BUN = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="bun test" tests="6" assertions="0" failures="2" skipped="1" time="0.029">
  <testsuite name="tests/a_test.ts" file="tests/a_test.ts" tests="6" failures="2" skipped="1">
    <testsuite name="group" file="tests/a_test.ts" line="3" tests="3" failures="1" skipped="0">
      <testcase name="passes" classname="group" time="0.001293" file="tests/a_test.ts" line="4" />
      <testsuite name="inner" file="tests/a_test.ts" line="6" tests="2" failures="1" skipped="0">
        <testcase name="deep" classname="inner &gt; group" time="0.000032" line="7" />
        <testcase name="deepfail" classname="inner &gt; group" time="0.001196" line="8">
          <failure type="AssertionError" message="1 !== 2&#10;">AssertionError: 1 !== 2&#10;</failure>
        </testcase>
      </testsuite>
    </testsuite>
    <testcase name="top" classname="" time="0.000034" file="tests/a_test.ts" line="13" />
    <testcase name="fails" classname="" time="0.000223" file="tests/a_test.ts" line="14">
      <failure type="Error" message="boom &lt;&amp;&gt;">Error: boom &lt;&amp;&gt;</failure>
    </testcase>
    <testcase name="skips" classname="" time="0" file="tests/a_test.ts" line="15">
      <skipped />
    </testcase>
  </testsuite>
</testsuites>`;

const NODE = `<?xml version="1.0" encoding="utf-8"?>
<testsuites>
	<testsuite name="group" time="0.004375" disabled="0" errors="0" tests="3" failures="1" skipped="0">
		<testcase name="passes" time="0.000623" classname="test"/>
		<testsuite name="inner" time="0.002362" disabled="0" errors="0" tests="2" failures="1" skipped="0">
			<testcase name="deep" time="0.001141" classname="test"/>
			<testcase name="deepfail" time="0.001033" classname="test" failure="1 !== 2">
				<failure type="testCodeFailure" message="1 !== 2">
Error [ERR_TEST_FAILURE]: 1 !== 2
				</failure>
			</testcase>
		</testsuite>
	</testsuite>
	<testcase name="top" time="0.000080" classname="test"/>
	<testcase name="fails" time="0.000129" classname="test" failure="boom &lt;&amp;>">
		<failure type="testCodeFailure" message="boom &lt;&amp;>">
[Error [ERR_TEST_FAILURE]: boom &lt;&amp;>]
		</failure>
	</testcase>
	<testcase name="skips" time="0.000103" classname="test">
		<skipped type="skipped" message="true"/>
	</testcase>
	<!-- tests 6 -->
	<!-- pass 3 -->
	<!-- fail 2 -->
</testsuites>`;

describe("readJUnit", () => {
  for (const [runtime, xml] of [["deno", DENO], ["bun", BUN], ["node", NODE]] as const) {
    it(`counts the leaf tests of ${runtime}'s report: passes, failures and skips`, () => {
      assert.deepEqual(tallyJUnit(xml), { passed: 3, failed: 2, skipped: 1 });
    });
  }

  it("names a test by its enclosing suites and its own name", () => {
    assert.deepEqual(
      readJUnit(BUN).filter((r) => r.outcome === "failed").map((r) => r.name),
      ["tests/a_test.ts > group > inner > deepfail", "tests/a_test.ts > fails"],
    );
    assert.deepEqual(
      readJUnit(NODE).filter((r) => r.outcome === "failed").map((r) => r.name),
      ["group > inner > deepfail", "fails"],
    );
  });

  it("leaves out Deno's internal suite name and its describe-block cases", () => {
    assert.deepEqual(readJUnit(DENO).map((r) => r.name), [
      "./tests/a_test.ts > top",
      "./tests/a_test.ts > fails",
      "./tests/a_test.ts > skips",
      "group > passes",
      "group > inner > deep",
      "group > inner > deepfail",
    ]);
  });

  it("keeps a Deno describe block as a failure when it failed but none of its tests did", () => {
    const xml = `<testcase name="block"><failure message="after hook"/></testcase>
      <testcase name="block &gt; inner"></testcase>`;
    assert.deepEqual(readJUnit(xml), [
      { name: "block", outcome: "failed" },
      { name: "block > inner", outcome: "passed" },
    ]);
  });

  it("reads a name holding an unescaped '>' without swallowing the next cases (Node)", () => {
    const xml = `<testsuites>
      <testcase name="maps a => b" classname="test"/>
      <testcase name="second" classname="test"/>
      <testcase name="third" classname="test" failure="x > y"><failure message="x > y"/></testcase>
    </testsuites>`;
    assert.deepEqual(readJUnit(xml), [
      { name: "maps a => b", outcome: "passed" },
      { name: "second", outcome: "passed" },
      { name: "third", outcome: "failed" },
    ]);
  });

  it("decodes character references in names", () => {
    const xml = `<testcase name="&lt;tag&gt; &amp; &quot;q&quot; &#39;s&#39; &#x263A;"/>`;
    assert.equal(readJUnit(xml)[0].name, `<tag> & "q" 's' \u263a`);
  });

  it("counts an error element as a failure", () => {
    assert.deepEqual(tallyJUnit(`<testcase name="t"><error message="boom"/></testcase>`), {
      passed: 0,
      failed: 1,
      skipped: 0,
    });
  });

  it("ignores tags inside comments and CDATA", () => {
    const xml =
      `<!-- <testcase name="a"/> --><testcase name="b"><system-out><![CDATA[<failure/>]]>` +
      `</system-out></testcase>`;
    assert.deepEqual(readJUnit(xml), [{ name: "b", outcome: "passed" }]);
  });

  it("finds no test in an empty report", () => {
    assert.deepEqual(tallyJUnit("<testsuites></testsuites>"), { passed: 0, failed: 0, skipped: 0 });
  });
});

describe("tally", () => {
  it("adds up results by outcome", () => {
    assert.deepEqual(
      tally([
        { name: "a", outcome: "passed" },
        { name: "b", outcome: "skipped" },
        { name: "c", outcome: "passed" },
      ]),
      { passed: 2, failed: 0, skipped: 1 },
    );
  });
});
