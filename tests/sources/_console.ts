/** Records what is written through `console` while a test runs. */

const METHODS = ["error", "warn", "log", "info", "debug"] as const;

/** What was logged, one entry per call (`method: arguments`), until `restore()`. */
export interface ConsoleCapture {
  readonly lines: string[];
  restore(): void;
}

/** Replaces the console's writing methods with a recorder; `restore()` puts them back. */
export function captureConsole(): ConsoleCapture {
  const lines: string[] = [];
  const originals = METHODS.map((method) => console[method]);
  for (const method of METHODS) {
    console[method] = (...args: unknown[]) =>
      void lines.push(
        `${method}: ${args.map((a) => a instanceof Error ? a.stack : String(a)).join(" ")}`,
      );
  }
  return {
    lines,
    restore: () => METHODS.forEach((method, i) => (console[method] = originals[i])),
  };
}
