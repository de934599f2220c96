/**
 * How long a test may take, and what each runtime's test runner is told so
 * that a test that hangs fails alone instead of stalling the run. Shared by
 * tests/_testing.ts (which puts the limit on every test and hook) and
 * scripts/test.ts (which runs the suite).
 *
 * @module
 */
import process from "node:process";

/**
 * A test or hook that has not finished after this long fails: 120 s, or
 * `HUSSAR_TEST_TIME_LIMIT_MS` (to debug a test, or to prove a hang fails).
 * Generous: the slowest tests are worker mode's under a plain `deno test`,
 * which type-checks each worker it starts: seconds each, and on a two-core
 * machine loaded many times over, a minute for a test that starts four.
 */
export const TIME_LIMIT_MS: number = Number(process.env.HUSSAR_TEST_TIME_LIMIT_MS) || 120_000;

/**
 * Bun's own limit for a test (`bun test --timeout`; its default is 5 s), set
 * to the same value, for a test that would not go through tests/_testing.ts.
 */
export function bunTestArgs(): string[] {
  return [`--timeout=${TIME_LIMIT_MS}`];
}
