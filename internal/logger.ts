/**
 * The one place hussar's library code speaks from: the {@linkcode Logger}
 * interface and the default one, which writes to the console.
 *
 * @module
 */

/**
 * Where a server says what it has to say besides answering requests: the
 * address it listens on, faults it caught and got over (a connection, an
 * accept, a worker, a thread), and warnings. `console` is one; so is any
 * object with these three methods.
 *
 * @example
 * ```ts
 * import type { Logger } from "@hussar/core";
 * const lines: string[] = [];
 * const logger: Logger = {
 *   info: (message) => void lines.push(message),
 *   warn: (message) => void lines.push(`warning: ${message}`),
 *   error: (message, error) => void lines.push(`${message} ${error}`),
 * };
 * logger.warn("slow disk");
 * console.log(lines); // [ "warning: slow disk" ]
 * ```
 */
export interface Logger {
  /** News: where the server listens, a worker that is back. */
  info(message: string): void;
  /** Something wrong the server works around: a worker not accepting, accepts backing off. */
  warn(message: string): void;
  /** A fault the server caught, with the error that says what it was. */
  error(message: string, error?: unknown): void;
}

/** The default {@linkcode Logger}: `console`, lines prefixed with `hussar: `. */
export const consoleLogger: Logger = {
  info: (message) => console.log(message),
  warn: (message) => console.warn(`hussar: ${message}`),
  error: (message, error) =>
    error === undefined
      ? console.error(`hussar: ${message}`)
      : console.error(`hussar: ${message}:`, error),
};

/** Says nothing: what `logger: false` gives. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** The logger an option asks for: its own, none (`false`), or the console (unset). */
export function resolveLogger(option: Logger | false | undefined): Logger {
  return option === false ? silentLogger : option ?? consoleLogger;
}
