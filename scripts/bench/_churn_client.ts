/**
 * A bounded churn load: `--count` connections, `--parallel` at a time (50
 * by default, as the churn case), each sending one `GET /` with
 * `Connection: close` and reading the response to the server's close. For
 * instruction counts of a server under churn (callgrind at N and 2N
 * connections, the difference ÷ N), where `wrk` runs for a time rather than
 * a count:
 *
 *   deno run -A scripts/bench/_churn_client.ts --port=N --count=3000 [--parallel=50]
 *
 * Prints `<count> connections, <bad> bad, <ms> ms`; exits non-zero if any
 * response was not a 200 with the hello-world body (whole or chunked).
 *
 * @module
 */
import { connect } from "node:net";
import process from "node:process";
import { option } from "./_args.ts";
import { HELLO } from "./_handlers.ts";

const port = Number(option("port") ?? "8000");
// wrk's request, its Host with the port: a warm-up that sends another shape leaves the server's
// JIT to deoptimize on wrk's first requests (`isHostSyntax` on Node 26).
const REQUEST =
  `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: wrk\r\nConnection: close\r\n\r\n`;
const count = Number(option("count") ?? "1000");
const parallel = Number(option("parallel") ?? "50");
let opened = 0;
let ended = 0;
let bad = 0;
const started = Date.now();

function open(): void {
  opened++;
  const socket = connect({ port, host: "127.0.0.1" });
  let answer = "";
  socket.setEncoding("latin1");
  socket.on("connect", () => socket.write(REQUEST));
  socket.on("data", (text: string) => (answer += text));
  socket.on("error", () => {}); // counted at the close, as a bad answer
  socket.on("close", () => {
    if (!answer.startsWith("HTTP/1.1 200") || !answer.includes(HELLO)) bad++;
    if (++ended === count) {
      console.log(`${count} connections, ${bad} bad, ${Date.now() - started} ms`);
      process.exit(bad === 0 ? 0 : 1);
    }
    if (opened < count) open();
  });
}

for (let i = 0; i < parallel && i < count; i++) open();
