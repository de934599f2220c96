/**
 * Test helper: runs one of the repository's programs (`cli.ts`, `demo.ts`)
 * the way a user does, on the runtime running the tests: `deno run` on the
 * `.ts` file, `bun` on it, `node` on the `.js` of the npm build the test was
 * compiled into. Output is collected; waits are for events, each bounded.
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** Generous: the machine may be busy, and Deno compiles on first run. */
const WAIT_MS = 60_000;

/** A running program. */
export interface Program {
  readonly child: ChildProcess;
  /** What it printed so far (run with `NO_COLOR=1`). */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the first match of `pattern` in stdout (or stderr), waiting for it. */
  waitFor(pattern: RegExp, stream?: "stdout" | "stderr"): Promise<RegExpExecArray>;
  /** Resolves with the exit code (null if killed by a signal), at most `WAIT_MS` later. */
  exited(): Promise<number | null>;
  /**
   * Sends it a signal. (Deno's `child.kill()` stops delivering what is then
   * written to the child's stdin, so this goes through `process.kill`.)
   */
  signal(signal: "SIGINT" | "SIGTERM"): void;
  /** Kills it if it still runs, and waits for it to exit. */
  kill(): Promise<void>;
}

/** The program's file at the repository's root: `.ts` here, `.js` in the npm build. */
function programFile(name: string): string {
  const extension = import.meta.url.endsWith(".js") ? ".js" : ".ts";
  return fileURLToPath(new URL(`../${name}${extension}`, import.meta.url));
}

/**
 * Starts `<name>.ts` (or `.js`) with `args`. `denoFlags` are the permissions
 * Deno runs it with (default `-A`).
 */
export function startProgram(
  name: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; denoFlags?: string[] } = {},
): Program {
  const file = programFile(name);
  const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  const command = isDeno ? ["run", ...(options.denoFlags ?? ["-A"]), file, ...args] : [
    file,
    ...args,
  ];
  const child = spawn(process.execPath, command, {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const output = { stdout: "", stderr: "" };
  const waiters = new Set<() => void>();
  const decoder = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  for (const stream of ["stdout", "stderr"] as const) {
    child[stream]!.on("data", (chunk: Uint8Array) => {
      output[stream] += decoder[stream].decode(chunk, { stream: true });
      for (const wake of waiters) wake();
    });
  }
  let done = false;
  const exit = new Promise<number | null>((resolve) =>
    child.once("close", (code) => {
      done = true;
      for (const wake of waiters) wake();
      resolve(code);
    })
  );
  const bounded = <T>(promise: Promise<T>, what: string): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${name}: ${what} within ${WAIT_MS} ms\nstdout: ${output.stdout}\nstderr: ${output.stderr}`,
            ),
          ),
        WAIT_MS,
      );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  };
  return {
    child,
    get stdout() {
      return output.stdout;
    },
    get stderr() {
      return output.stderr;
    },
    waitFor(pattern, stream = "stdout") {
      return bounded(
        new Promise<RegExpExecArray>((resolve, reject) => {
          const check = (): void => {
            const match = pattern.exec(output[stream]);
            if (match !== null) {
              waiters.delete(check);
              resolve(match);
            } else if (done) {
              waiters.delete(check);
              reject(
                new Error(
                  `${name} exited (${child.exitCode}) before printing ${pattern} on ${stream}\n` +
                    `stdout: ${output.stdout}\nstderr: ${output.stderr}`,
                ),
              );
            }
          };
          waiters.add(check);
          check();
        }),
        `no ${pattern} on ${stream}`,
      );
    },
    exited() {
      return bounded(exit, "did not exit");
    },
    signal(signal) {
      process.kill(child.pid!, signal);
    },
    async kill() {
      if (!done) child.kill("SIGKILL");
      await exit;
    },
  };
}
