/**
 * A benchmark contender (`_server.ts`) in a child process of the running
 * runtime, for drivers that measure it from outside: its `ready` line, its
 * heap statistics and snapshots (asked on its stdin) and its RSS.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** A loopback port nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A child process whose output lines a driver waits for: a benchmark server
 * (`Contender.server`), answering `stats` and `snapshot` on its stdin, or a
 * client.
 */
export class Contender {
  readonly #child: ChildProcess;
  #lines: string[] = [];
  #wake: (() => void) | null = null;

  /** `_server.ts --server=<name> --port=<port>`, beside this file, run by this runtime. */
  static server(name: string, port: number): Contender {
    // Beside this file: the TypeScript source, or the npm build's JavaScript.
    const extension = import.meta.url.slice(import.meta.url.lastIndexOf("."));
    const script = fileURLToPath(new URL(`./_server${extension}`, import.meta.url));
    const flags = "Deno" in globalThis
      ? ["run", "-A", "--v8-flags=--expose-gc"]
      : "Bun" in globalThis
      ? []
      : ["--expose-gc"];
    const args = [...flags, script, `--server=${name}`, `--port=${port}`];
    return new Contender(process.execPath, args);
  }

  constructor(command: string, args: string[]) {
    this.#child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
    let pending = "";
    this.#child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      const lines = (pending + text).split("\n");
      pending = lines.pop()!;
      this.#lines.push(...lines);
      this.#wake?.();
    });
  }

  /** The rest of the next output line that starts with `prefix` (waits at most `ms`). */
  async line(prefix: string, ms = 30_000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const at = this.#lines.findIndex((l) => l.startsWith(prefix));
      if (at !== -1) return this.#lines.splice(at, 1)[0].slice(prefix.length);
      if (Date.now() > deadline) throw new Error(`the server said no "${prefix}" in ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Heap in use after a full collection, and RSS, in KiB. */
  async memory(): Promise<{ heap: number; rss: number }> {
    this.#child.stdin!.write("stats\n");
    const { heapUsed } = JSON.parse(await this.line("stats "));
    const status = readFileSync(`/proc/${this.#child.pid}/status`, "utf8");
    return { heap: heapUsed / 1024, rss: Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) };
  }

  /** Has the server write a heap snapshot (V8's format) to `path`. */
  async snapshot(path: string): Promise<void> {
    this.#child.stdin!.write(`snapshot ${path}\n`);
    await this.line("snapshot ", 120_000);
  }

  /** Kills the process. */
  stop(): void {
    this.#child.kill("SIGKILL");
  }
}
