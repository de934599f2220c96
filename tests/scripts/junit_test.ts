import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { tallyJUnit } from "../../scripts/_junit.ts";

// Shapes of the reports each runtime writes for: describe("group") { it("passes"); it("async") },
// test("top"), test("fails") (failing), and one skipped test.
const DENO = `<testsuites name="deno test" tests="6" failures="1">
  <testsuite name="./a_test.ts" tests="4" failures="1">
    <testcase name="group" classname="./a_test.ts"></testcase>
    <testcase name="top" classname="./a_test.ts"></testcase>
    <testcase name="fails" classname="./a_test.ts"><failure message="x">AssertionError</failure></testcase>
    <testcase name="skips" classname="./a_test.ts"><skipped/></testcase>
  </testsuite>
  <testsuite name="ext:deno_node/testing.ts" tests="2" failures="0">
    <testcase name="group &gt; passes" classname="ext:deno_node/testing.ts"></testcase>
    <testcase name="group &gt; async" classname="ext:deno_node/testing.ts"></testcase>
  </testsuite>
</testsuites>`;

const BUN = `<testsuites name="bun test" tests="5" failures="1">
  <testsuite name="a_test.ts" tests="5" failures="1">
    <testsuite name="group" tests="2">
      <testcase name="passes" classname="group" />
      <testcase name="async" classname="group" />
    </testsuite>
    <testcase name="top" classname="" />
    <testcase name="fails" classname=""><failure type="AssertionError" message="x">x</failure></testcase>
    <testcase name="skips" classname=""><skipped /></testcase>
  </testsuite>
</testsuites>`;

const NODE = `<testsuites>
  <testsuite name="group" tests="2" failures="0">
    <testcase name="passes" classname="test"/>
    <testcase name="async" classname="test"/>
  </testsuite>
  <testcase name="top" classname="test"/>
  <testcase name="fails" classname="test" failure="x"><failure type="testCodeFailure" message="x">x</failure></testcase>
  <testcase name="skips" classname="test"><skipped type="skipped" message="why"/></testcase>
  <!-- pass 3 -->
</testsuites>`;

describe("tallyJUnit", () => {
  for (const [runtime, xml] of [["deno", DENO], ["bun", BUN], ["node", NODE]] as const) {
    it(`counts leaf tests, failures and skips in ${runtime}'s report`, () => {
      assert.deepEqual(tallyJUnit(xml), { passed: 3, failed: 1, skipped: 1 });
    });
  }

  it("does not count a Deno describe block as a test of its own", () => {
    const xml = `<testcase name="block"></testcase><testcase name="block &gt; inner"></testcase>`;
    assert.deepEqual(tallyJUnit(xml), { passed: 1, failed: 0, skipped: 0 });
  });

  it("counts an error element as a failure", () => {
    assert.deepEqual(tallyJUnit(`<testcase name="t"><error message="boom"/></testcase>`), {
      passed: 0,
      failed: 1,
      skipped: 0,
    });
  });

  it("finds no test in an empty report", () => {
    assert.deepEqual(tallyJUnit("<testsuites></testsuites>"), { passed: 0, failed: 0, skipped: 0 });
  });
});
