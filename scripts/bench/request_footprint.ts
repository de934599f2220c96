/**
 * What keeps a server's young generation large, with the runtime's objects
 * alone: each case runs in a fresh process and makes `--count` objects one
 * after another, keeping none, then prints the process's RSS, the size of
 * V8's young generation (new space) and of its old one, and the bytes
 * allocated per object. A case whose objects survive minor collections
 * (kept by something in the old generation until a full collection) makes
 * the young generation grow to its maximum, and the RSS with it, though
 * nothing is kept; the others stay near the start.
 *
 *   deno run -A scripts/bench/request_footprint.ts [--count=200000] [--case=request,template,...]
 *   node .build/bench/esm/scripts/bench/request_footprint.js   (after the npm build)
 *   bun scripts/bench/request_footprint.ts
 *
 * - `request`: `new Request(url)`. On Deno its inner request is an object
 *   literal with accessors, whose hidden class of its own keeps young
 *   objects alive until a full collection.
 * - `template`: `new Request(template, { signal: null })`, a copy of one
 *   `Request` of that URL (what `serve()` does on Deno for a URL seen twice).
 * - `closure`: a long-lived object (such as a scheduler's thread) given a
 *   new closure per object, capturing that object, then `null`: what the
 *   scheduler did per Promise wait.
 * - `shared`: the same with one shared function (what it does now).
 * - `response`: `new Response("Hello, World!")` with its `headers` read.
 *
 * Measured on Deno 2.9 (V8 14), 200,000 each: `request` 155 MiB RSS, new
 * space 64 MiB; `template` 48, 4; `closure` 142, 64; `shared` 46, 4; a
 * bare process 45. Node 26: `request` stays small (undici's inner request
 * is a plain object); `closure` 77 MiB, 16 against `shared`'s 57, 2.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { getHeapSpaceStatistics, getHeapStatistics } from "node:v8";
import { list, option } from "./_args.ts";

const CASES = ["request", "template", "closure", "shared", "response"] as const;
type Case = typeof CASES[number];
const URL_TEXT = "http://127.0.0.1:8000/";

/** A thread-like object that lives as long as the process. */
class Holder {
  filter: ((value: unknown) => boolean) | null = null;
}
const holders = Array.from({ length: 8 }, () => new Holder());
const shared = (value: unknown): boolean => value !== null;

/** A new closure per object, capturing it, kept by a long-lived holder until done. */
function closureStep(i: number): boolean {
  const holder = holders[i & 7];
  const payload = { value: new Array(200).fill(i) };
  holder.filter = (value) => value === payload;
  const kept = holder.filter(payload);
  holder.filter = null;
  return kept;
}

/** The same with one shared function. */
function sharedStep(i: number): boolean {
  const holder = holders[i & 7];
  const payload = { value: new Array(200).fill(i) };
  holder.filter = shared;
  const kept = holder.filter(payload);
  holder.filter = null;
  return kept;
}

/** Makes one object of `kind`; what it returns is dropped at once. */
function maker(kind: Case): (i: number) => unknown {
  const template = new Request(URL_TEXT);
  switch (kind) {
    case "request":
      return () => new Request(URL_TEXT);
    case "template":
      return () => new Request(template, { signal: null });
    case "response":
      return () => new Response("Hello, World!").headers;
    case "closure":
      return closureStep;
    case "shared":
      return sharedStep;
  }
}

/** Runs one case in this process and prints its line. */
async function runCase(kind: Case, count: number): Promise<void> {
  const make = maker(kind);
  const before = allocatedBytes();
  for (let i = 0; i < count; i++) {
    make(i);
    if ((i & 1023) === 0) await null; // a microtask checkpoint now and then, as a server has
  }
  const perObject = (allocatedBytes() - before) / count;
  const spaces = Object.fromEntries(
    getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size / 1048576]),
  );
  const rss = process.memoryUsage().rss / 1048576;
  console.log(
    `${kind.padEnd(9)} ${rss.toFixed(1).padStart(6)} MiB RSS, new space ${
      (spaces.new_space ?? 0).toFixed(1).padStart(5)
    } MiB, old ${(spaces.old_space ?? 0).toFixed(1).padStart(5)} MiB, ${
      Number.isNaN(perObject) ? "-" : perObject.toFixed(0)
    } B allocated per object`,
  );
}

function allocatedBytes(): number {
  return (getHeapStatistics() as { total_allocated_bytes?: number }).total_allocated_bytes ?? NaN;
}

const count = Number(option("count") ?? "200000");
const only = option("case");
if (only !== undefined && !only.includes(",")) {
  await runCase(only as Case, count);
} else {
  // Each case in a fresh process: a young generation that grew does not shrink under load.
  const self = fileURLToPath(import.meta.url);
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  const prefix = deno !== undefined ? [deno.execPath(), "run", "-A"] : [process.execPath];
  console.log(`${count} objects per case, each case in a fresh process`);
  for (const kind of list("case", CASES)) {
    const [command, ...args] = [...prefix, self, `--case=${kind}`, `--count=${count}`];
    const run = spawnSync(command, args, { encoding: "utf8", timeout: 300_000 });
    process.stdout.write(run.stdout || `${kind}: failed ${run.stderr}\n`);
  }
}
