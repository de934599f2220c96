/**
 * `node:test` with a time limit on every test and hook, the same on Deno,
 * Bun and Node. Every test file imports `describe`, `it` and the hooks from
 * here, not from `node:test` (tests/scripts/time_limits_test.ts checks it),
 * so a test that hangs fails on its own, under its name, instead of stalling
 * the run.
 *
 * The limit goes on each test: Deno, Bun and Node all honour
 * `it(name, { timeout }, fn)`, while a `describe`'s timeout is ignored by
 * Deno and Bun (and on Node would cancel the rest of the suite). Deno also
 * ignores a hook's `timeout`, so a hook is raced against its limit here too.
 * A test or hook that needs longer passes its own `timeout`.
 *
 * @module
 */
import process from "node:process";
import * as nodeTest from "node:test";
import { TIME_LIMIT_MS } from "./_time_limit.ts";

export { describe } from "node:test";
export type { TestContext } from "node:test";
export { TIME_LIMIT_MS };

type TestFn = nodeTest.TestFn;
type HookFn = () => unknown;

/** `node:test`'s `it`, limited to {@linkcode TIME_LIMIT_MS} unless `options.timeout` says otherwise. */
export function it(name: string, fn: TestFn): Promise<void>;
export function it(name: string, options: nodeTest.TestOptions, fn: TestFn): Promise<void>;
export function it(
  name: string,
  optionsOrFn: nodeTest.TestOptions | TestFn,
  fn?: TestFn,
): Promise<void> {
  const [options, body] = typeof optionsOrFn === "function"
    ? [{}, optionsOrFn]
    : [optionsOrFn, fn as TestFn];
  return nodeTest.it(name, { ...options, timeout: options.timeout ?? TIME_LIMIT_MS }, body);
}

/** The same as {@linkcode it}. */
export const test: typeof it = it;

/** Runs `fn`, failing if it has not settled within `ms` (the timer ends either way). */
function limited(kind: string, fn: HookFn, ms: number): HookFn {
  return async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${kind} hook timed out after ${ms}ms`)), ms);
    });
    try {
      await Promise.race([fn(), expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}

function hook(
  register: (fn: HookFn, options: nodeTest.HookOptions) => void,
  kind: string,
): (fn: HookFn, options?: nodeTest.HookOptions) => void {
  return (fn, options = {}) => {
    const timeout = options.timeout ?? TIME_LIMIT_MS;
    register(limited(kind, fn, timeout), { ...options, timeout });
  };
}

// Node keeps a test file's process alive while a failed test's server still listens, so the run
// would never end (Deno and Bun end a file once its tests are over, and run every file in one
// process: there this must not run). `--test-force-exit` would end it, but on Node 20 it cuts the
// JUnit report short. So a file's process ends itself a second after its last test, if it has not
// already: the timer is unref'd and keeps nothing alive.
if (!("Deno" in globalThis) && !("Bun" in globalThis)) {
  nodeTest.after(() => void setTimeout(() => process.exit(), 1000).unref());
}

/** `node:test`'s `before`, limited like {@linkcode it}. */
export const before: (fn: HookFn, options?: nodeTest.HookOptions) => void = hook(
  nodeTest.before,
  "before",
);
/** `node:test`'s `after`, limited like {@linkcode it}. */
export const after: (fn: HookFn, options?: nodeTest.HookOptions) => void = hook(
  nodeTest.after,
  "after",
);
/** `node:test`'s `beforeEach`, limited like {@linkcode it}. */
export const beforeEach: (fn: HookFn, options?: nodeTest.HookOptions) => void = hook(
  nodeTest.beforeEach,
  "beforeEach",
);
/** `node:test`'s `afterEach`, limited like {@linkcode it}. */
export const afterEach: (fn: HookFn, options?: nodeTest.HookOptions) => void = hook(
  nodeTest.afterEach,
  "afterEach",
);
