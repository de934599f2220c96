/**
 * HTTP without a socket: a `Hussar` core with the HTTP engine and a fetch
 * handler, fed by a `StreamSource` whose connection is a pair of in-memory
 * streams. The same pieces serve HTTP over any byte stream (a worker's
 * port, a child process's stdio, a WebSocket tunnel).
 *
 *   deno run -A examples/custom_source.ts    (prints the raw responses)
 *
 * @module
 */
import { Hussar } from "../core/mod.ts";
import { httpHandler } from "../httputil/mod.ts";
import { fetchApp } from "../serve/mod.ts";
import { StreamSource } from "../sources/mod.ts";
import { isMain } from "./_main.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The handler behind the in-memory connection. */
function app(request: Request): Response {
  return new Response(`${request.method} ${new URL(request.url).pathname} over memory\n`);
}

/**
 * Sends `raw` (one or more HTTP/1.1 requests, the last with `Connection:
 * close`) over a fresh in-memory connection and returns every byte the
 * server answered until it closed, as text. The client's side stays open
 * until then: ending it while a response is owed would mean the client
 * left. Nothing is left running afterwards.
 */
export async function exchange(raw: string): Promise<string> {
  const hussar = new Hussar({ handler: httpHandler(fetchApp(app)) });
  const source = new StreamSource();
  hussar.attachSource(source);
  const toServer = new TransformStream<Uint8Array, Uint8Array>();
  const toClient = new TransformStream<Uint8Array, Uint8Array>();
  source.add({ readable: toServer.readable, writable: toClient.writable });
  const writer = toServer.writable.getWriter();
  const sent = writer.write(encoder.encode(raw));
  let text = "";
  for await (const chunk of toClient.readable) text += decoder.decode(chunk, { stream: true });
  await sent;
  await writer.close().catch(() => {}); // the server may have stopped reading already
  source.close();
  await hussar.close();
  return text;
}

if (isMain(import.meta)) {
  console.log(
    await exchange(
      "GET /first HTTP/1.1\r\nHost: memory\r\n\r\n" +
        "POST /second HTTP/1.1\r\nHost: memory\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
    ),
  );
}
