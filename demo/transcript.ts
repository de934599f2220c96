/**
 * The demo application: an HTTP/1.1 server built from hussar's layers
 * (scheduler, core, httputil) answering raw requests over the in-memory
 * source, returned as a transcript.
 *
 * @module
 */
import { Hussar } from "../core/mod.ts";
import { httpHandler } from "../httputil/mod.ts";
import { FakeSource } from "../sources/mod.ts";

/** The requests served when none are given. */
export const EMBEDDED_REQUESTS: readonly string[] = [
  "GET / HTTP/1.1\r\nHost: demo\r\n\r\n",
  "POST /echo HTTP/1.1\r\nHost: demo\r\nContent-Length: 13\r\n\r\nhello, hussar",
  "POST /echo HTTP/1.1\r\nHost: demo\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nchun\r\n3\r\nked\r\n0\r\n\r\n",
  "GET /count HTTP/1.1\r\nHost: demo\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: demo\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
];

/**
 * Serves each raw request on its own connection and returns the exchange as text.
 *
 * @example
 * ```ts
 * import { runDemo } from "./transcript.ts";
 * console.log(await runDemo(["GET / HTTP/1.1\r\nHost: x\r\n\r\n"]));
 * ```
 */
export async function runDemo(requests: readonly string[] = EMBEDDED_REQUESTS): Promise<string> {
  const source = new FakeSource();
  const hussar: Hussar = new Hussar({
    handler: httpHandler(function* (request) {
      const { method, target } = request.head;
      if (method === "POST" && target === "/echo") {
        return {
          status: 200,
          headers: { "content-type": "text/plain" },
          body: yield* request.body.readAll(),
        };
      }
      if (target === "/count") {
        return { status: 200, body: `connections so far: ${hussar.stats().accepted}\n` };
      }
      return {
        status: 200,
        headers: { "content-type": "text/plain" },
        body: "hussar says hello\n",
      };
    }),
  });
  hussar.attachSource(source);
  let transcript = "";
  for (const raw of requests) {
    const client = source.connect();
    client.write(raw);
    client.end();
    transcript += `>>> ${raw.replaceAll("\r\n", "\\r\\n\n    ")}\n<<< ${
      (await client.readText()).replaceAll("\r\n", "\n    ")
    }\n\n`;
  }
  await hussar.close();
  return transcript;
}
