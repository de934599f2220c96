/**
 * Opens many keep-alive connections to a server and leaves them idle, for
 * the memory case:
 *
 *   deno run -A _idle_clients.ts --port=N --count=10000 [--slow]
 *
 * All connect first, then each sends one `GET /` and reads its whole
 * response (so the server holds it as an idle keep-alive connection, not a
 * fresh accept); with `--slow`, each sends the start of a request head only
 * (a slowloris client, which the server holds in the middle of a head). Prints `open <count>` once all are idle, then `closed <n>` for
 * connections the server dropped meanwhile when stdin ends (the parent
 * signals that it has measured); then exits, closing them all.
 *
 * @module
 */
import { connect, type Socket } from "node:net";
import process from "node:process";
import { option } from "./_args.ts";

const REQUEST = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
/** What a slow client has sent so far of its head. */
const PARTIAL_HEAD = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a";
/** Connections being opened at once (the listen backlog is finite). */
const PARALLEL = 256;

const port = Number(option("port") ?? "8000");
const count = Number(option("count") ?? "10000");
const sockets: Socket[] = [];
let dropped = 0;

/** Opens one connection; resolves once connected. */
function connectOne(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", noDelay: true });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Sends one request on `socket`; resolves once its whole response has arrived. */
function exchange(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    let received = "";
    let done = false;
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => {
      if (done) return;
      received += text;
      const end = received.indexOf("\r\n\r\n");
      if (end === -1) return;
      const length = /content-length: *(\d+)/i.exec(received.slice(0, end));
      if (length !== null) {
        if (received.length - end - 4 < Number(length[1])) return;
      } else if (/transfer-encoding: *chunked/i.test(received.slice(0, end))) {
        if (!received.endsWith("\r\n0\r\n\r\n")) return; // the last chunk
      } else {
        reject(new Error(`no body framing in ${JSON.stringify(received.slice(0, end))}`));
        return;
      }
      if (!received.startsWith("HTTP/1.1 200")) {
        reject(new Error(`unexpected response ${JSON.stringify(received.slice(0, 40))}`));
        return;
      }
      done = true;
      received = "";
      resolve();
    });
    socket.on("error", (error) => {
      if (!done) reject(error);
    });
    socket.on("close", () => {
      if (done) dropped++;
      else reject(new Error("closed before the response"));
    });
    socket.write(REQUEST);
  });
}

// Connect all first, then make every connection a kept-alive one at once, so that the
// last response comes soon after the first and no keep-alive timeout (5 s on node:http
// and hussar) passes before the parent measures.
let next = 0;
async function worker(): Promise<void> {
  while (next < count) {
    next++;
    sockets.push(await connectOne());
  }
}
await Promise.all(Array.from({ length: Math.min(PARALLEL, count) }, worker));
if (process.argv.includes("--slow")) {
  for (const socket of sockets) {
    socket.on("error", () => {});
    socket.on("close", () => dropped++);
    socket.write(PARTIAL_HEAD);
  }
  await new Promise((resolve) => setTimeout(resolve, 500)); // read by the server meanwhile
} else {
  await Promise.all(sockets.map(exchange));
}
process.stdout.write(`open ${sockets.length} dropped ${dropped}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  process.stdout.write(`closed ${dropped}\n`);
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
