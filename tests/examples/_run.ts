/**
 * Runs an example as a program, the way a user would (`deno run -A`, `bun`,
 * or `node` on the built `.js`), on the runtime running the tests.
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The example's source file: `.ts` here, `.js` in the npm build. */
export function exampleFile(name: string): string {
  const extension = import.meta.url.endsWith(".js") ? ".js" : ".ts";
  return fileURLToPath(new URL(`../../examples/${name}${extension}`, import.meta.url));
}

function command(file: string): string[] {
  const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  return isDeno ? [process.execPath, "run", "-A", file] : [process.execPath, file];
}

/** A running example program. */
export interface ExampleProcess {
  /** The URL it printed. */
  url: string;
  /** Stops it and waits for it to exit. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

/** Starts `examples/<name>` on a free port and waits (at most 30 s) for it to print its URL. */
export function startExample(
  name: string,
  env: Record<string, string> = {},
): Promise<ExampleProcess> {
  const [cmd, ...args] = command(exampleFile(name));
  const child = spawn(cmd, args, {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk: Uint8Array) => (stderr += new TextDecoder().decode(chunk)));
  const stop = async (): Promise<void> => {
    child.kill("SIGTERM");
    await exited(child);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${name} printed no URL in 30 s\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, 30_000);
    child.stdout!.on("data", (chunk: Uint8Array) => {
      stdout += new TextDecoder().decode(chunk);
      const match = /https?:\/\/\S+/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[0], stop });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code})\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
}

/** Runs `examples/<name>` to its end (at most 30 s); returns its exit code and output. */
export function runExample(
  name: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [cmd, ...args] = command(exampleFile(name));
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Uint8Array) => (stdout += new TextDecoder().decode(chunk)));
  child.stderr!.on("data", (chunk: Uint8Array) => (stderr += new TextDecoder().decode(chunk)));
  return new Promise((resolve) => {
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}
