/**
 * The main job's demo (`npm start`): hussar serving a few HTTP requests, or
 * the raw requests given as arguments (`\r\n` may be written literally).
 *
 * @module
 */
import { runDemo } from "./demo/transcript.ts";

const args: string[] = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as unknown as { process: { argv: string[] } }).process.argv.slice(2);
const requests = args.length > 0 ? args.map((arg) => arg.replaceAll("\\r\\n", "\r\n")) : undefined;
console.log(await runDemo(requests));
