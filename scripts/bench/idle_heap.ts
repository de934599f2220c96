/**
 * What each idle keep-alive connection keeps on the server's heap, and in
 * which objects: the server (`_server.ts`, hussar's `serve()` or the
 * runtime's native server) runs in a child of this runtime; `--count`
 * connections (`_idle_clients.ts`) each make one request and stay; a heap
 * snapshot is taken before and with them (V8's format on every runtime), and
 * the objects that came with them are counted by kind and constructor, per
 * connection. `--slow`: connections in the middle of a request head instead
 * (slowloris clients). The heap in use (after a full collection, from the
 * runtime's heap statistics) is printed beside, and the growth of the
 * process's RSS per connection (which moves with collection timing and
 * allocator caches: a figure to repeat). `--keep=DIR` keeps the two
 * snapshots there (`before.heapsnapshot`, `with.heapsnapshot`) for a closer
 * look, such as which objects retain the new ones.
 *
 *   deno run -A scripts/bench/idle_heap.ts [--server=hussar|native] [--count=2000] [--slow] [--top=30] [--keep=DIR]
 *   bun scripts/bench/idle_heap.ts [...]
 *   node .build/bench/esm/scripts/bench/idle_heap.js [...]   (after the npm build)
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { option } from "./_args.ts";
import { Contender, freePort } from "./_contender.ts";
import { run } from "./_load.ts";

/** Bytes and count of each kind of object (`type:constructor`) in a V8-format heap snapshot. */
function census(path: string): Map<string, { count: number; bytes: number }> {
  const snapshot = JSON.parse(readFileSync(path, "utf8"));
  const meta = snapshot.snapshot.meta;
  const fields: string[] = meta.node_fields;
  const types: string[] = meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const nodes: number[] = snapshot.nodes;
  const result = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + typeAt]];
    // Strings and numbers are named by their value: one kind each.
    const named = type === "object" || type === "closure" || type === "native";
    const key = named
      ? `${type}:${String(snapshot.strings[nodes[i + nameAt]]).slice(0, 40)}`
      : type;
    const entry = result.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += nodes[i + sizeAt];
    result.set(key, entry);
  }
  return result;
}

/** `_idle_clients.ts` in a child of this runtime: `count` connections to `port` that stay. */
function openClients(port: number, count: number, slow: boolean): Contender {
  const extension = import.meta.url.slice(import.meta.url.lastIndexOf("."));
  const script = fileURLToPath(new URL(`./_idle_clients${extension}`, import.meta.url));
  const args = [script, `--port=${port}`, `--count=${count}`, ...(slow ? ["--slow"] : [])];
  return new Contender(process.execPath, "Deno" in globalThis ? ["run", "-A", ...args] : args);
}

async function main(): Promise<void> {
  const server = option("server") ?? "hussar";
  const count = Number(option("count") ?? "2000");
  const top = Number(option("top") ?? "30");
  const slow = process.argv.includes("--slow");
  const keep = option("keep");
  const dir = keep ?? mkdtempSync(join(tmpdir(), "hussar-heap-"));
  const port = await freePort();
  const contender = Contender.server(server, port);
  try {
    await contender.line("ready ");
    // Compiled code and caches of the hello-world path are not counted per connection.
    await run(["wrk", "-t1", "-c8", "-d1s", `http://127.0.0.1:${port}/`], 30_000);
    const before = await contender.memory();
    await contender.snapshot(join(dir, "before.heapsnapshot"));
    const clients = openClients(port, count, slow);
    const opened = await clients.line("open ", 120_000);
    const withThem = await contender.memory();
    await contender.snapshot(join(dir, "with.heapsnapshot"));
    clients.stop();
    // The keep-alive timeout (5 s) may pass on a loaded machine: those few count as kept.
    if (!opened.startsWith(`${count} `)) throw new Error(`clients: open ${opened}`);
    if (!opened.endsWith(" dropped 0")) console.log(`(server dropped some: open ${opened})`);
    const a = census(join(dir, "before.heapsnapshot"));
    const b = census(join(dir, "with.heapsnapshot"));
    const rows = [...b].map(([key, { count: n, bytes }]) => ({
      key,
      count: (n - (a.get(key)?.count ?? 0)) / count,
      bytes: (bytes - (a.get(key)?.bytes ?? 0)) / count,
    }));
    const total = rows.reduce((sum, row) => sum + row.bytes, 0);
    rows.sort((x, y) => y.bytes - x.bytes);
    console.log(
      `${server}, ${count} ${slow ? "slowloris" : "idle keep-alive"} connections: ` +
        `heap in use ${(((withThem.heap - before.heap) * 1024) / count).toFixed(0)} B each ` +
        `(RSS ${(((withThem.rss - before.rss) * 1024) / count).toFixed(0)} B); ` +
        `in the snapshot (native cells included) ${total.toFixed(0)} B each:`,
    );
    for (const row of rows.filter((r) => Math.abs(r.bytes) >= 8).slice(0, top)) {
      console.log(
        `${row.bytes.toFixed(0).padStart(7)} B ${row.count.toFixed(2).padStart(6)}  ${row.key}`,
      );
    }
  } finally {
    contender.stop();
    if (keep === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
