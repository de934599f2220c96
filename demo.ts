/**
 * The main job (`npm start`): the demo server on 127.0.0.1, port 8000 (or
 * `PORT`), with a page, `POST /echo`, `/stream`, `/sse` and a WebSocket echo
 * on `/ws`. Runs the same on Deno, Bun (`bun demo.ts`) and Node
 * (`node npm/esm/demo.js` after `npm run build`). SIGINT (Ctrl-C) or SIGTERM
 * ends the event streams, lets the other requests finish, and exits 0; a
 * port it cannot listen on is said in one line, with exit code 1.
 *
 * @module
 */
import process from "node:process";
import { runUntilStopped } from "./cli.ts";
import { serve } from "./serve/mod.ts";
import { demoApp } from "./demo/app.ts";

const stopping = new AbortController();
let server;
try {
  // PORT as it is: serve() takes a decimal string and says what is wrong with any other.
  server = serve(
    { port: process.env.PORT ?? 8000, hostname: "127.0.0.1" },
    demoApp(stopping.signal),
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
}
process.exit(await runUntilStopped(server, () => stopping.abort()));
