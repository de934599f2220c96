/**
 * Footprint under load: a contender of `_server.ts` (hussar's `serve()`,
 * its core API, the floor or the runtime's native server) in a child
 * process of this runtime, its RSS and heap in use (after a full
 * collection) when it is ready, right after `--seconds` of
 * `wrk -t1 -c8` on `GET /`, and 3 s later (what stays). Repeat it: RSS
 * moves with collection timing and allocator caches.
 *
 * What the RSS that stays is made of shows in the runtime's heap space
 * statistics: on Deno after 5 s, `serve()` keeps a young generation grown
 * to 51 MB (Deno.serve: 2 MB), because about a tenth of what each request
 * allocates survives a scavenge (see docs/benchmarks.md).
 *
 *   deno run -A scripts/bench/footprint.ts [--server=hussar|native|core|floor] [--seconds=5]
 *   bun scripts/bench/footprint.ts [...]
 *   node .build/bench/esm/scripts/bench/footprint.js [...]   (after the npm build)
 *
 * @module
 */
import { option } from "./_args.ts";
import { Contender, freePort } from "./_contender.ts";
import { run } from "./_load.ts";

const server = option("server") ?? "hussar";
const seconds = Number(option("seconds") ?? "5");
const port = await freePort();
const contender = Contender.server(server, port);
const mib = (m: { heap: number; rss: number }): string =>
  `RSS ${(m.rss / 1024).toFixed(1)} MiB, heap ${(m.heap / 1024).toFixed(1)} MiB`;
try {
  await contender.line("ready ");
  const ready = await contender.memory();
  const out = await run(
    ["wrk", "-t1", "-c8", `-d${seconds}s`, `http://127.0.0.1:${port}/`],
    (seconds + 30) * 1000,
  );
  const loaded = await contender.memory();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const later = await contender.memory();
  const rate = /Requests\/sec:\s+(\S+)/.exec(out)?.[1] ?? "?";
  console.log(
    `${server}: ready ${mib(ready)}; after ${seconds} s of wrk -c8 (${rate} req/s) ${
      mib(loaded)
    }; 3 s later ${mib(later)}`,
  );
} finally {
  contender.stop();
}
