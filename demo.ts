/**
 * The main job (`npm start`): the demo server on port 8000 (or `PORT`),
 * with a page, `POST /echo`, `/stream` and `/sse`. Runs the same on Deno,
 * Bun (`bun demo.ts`) and Node (`node npm/esm/demo.js` after `npm run build`).
 *
 * @module
 */
import process from "node:process";
import { serve } from "./serve/mod.ts";
import { demoHandler } from "./demo/app.ts";

const port = Number(process.env.PORT ?? 8000);
const server = serve({ port, hostname: "127.0.0.1" }, demoHandler);
await server.finished;
