/**
 * CPU per message of permessage-deflate's codec (websocket/_deflate.ts),
 * without sockets: `--messages=N` messages of `--size=B` bytes of
 * JSON-like text, each a little different, are compressed (the server's
 * send path) and, with `--mode=both`, inflated in order by a second codec
 * (the receive path: both minus `--mode=compress`), with context takeover
 * or without (`--takeover=0`). Instructions per message are the difference
 * between two runs under callgrind, at N and 2N messages, divided by N
 * (start-up cancels out):
 *
 *   deno run -A scripts/bench/ws_deflate.ts [--size=4096] [--messages=2000] [--takeover=1] [--mode=both|compress]
 *   valgrind --tool=callgrind --smc-check=all-non-file node .build/bench/esm/scripts/bench/ws_deflate.js --messages=1000
 *
 * It prints the compressed size and the history kept per connection.
 *
 * @module
 */
import process from "node:process";
import { PerMessageDeflate } from "../../websocket/_deflate.ts";
import { option } from "./_args.ts";

const size = Number(option("size") ?? 4096);
const messages = Number(option("messages") ?? 2000);
const takeover = option("takeover") !== "0";
const mode = option("mode") ?? "both";

const params = {
  serverNoContextTakeover: !takeover,
  clientNoContextTakeover: !takeover,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};
const encoder = new TextEncoder();

/** A message of about `size` bytes, the `i`th of a stream of similar ones. */
function message(i: number): Uint8Array {
  let text = "";
  for (let row = 0; text.length < size; row++) {
    text += `{"id":${i * 1000 + row},"user":"user${(row * 37 + i) % 500}","score":${
      (row * 7919 + i) % 10007
    }},`;
  }
  return encoder.encode(text.slice(0, size));
}

const inputs = Array.from({ length: 64 }, (_, i) => message(i));
const sender = new PerMessageDeflate(params);
const receiver = new PerMessageDeflate(params); // inflates what the sender sends, in order

let compressed = 0;
for (let i = 0; i < messages; i++) {
  const input = inputs[i % inputs.length];
  const payload = sender.compress(input);
  compressed += payload?.length ?? input.length;
  if (mode === "both" && payload !== null) receiver.decompress([payload], payload.length, 1 << 20);
}
process.stdout.write(
  `${messages} messages of ${size} bytes, takeover ${takeover}, mode ${mode}: ` +
    `${(compressed / messages).toFixed(0)} bytes compressed on average, ` +
    `history kept ${sender.historyBytes} + ${receiver.historyBytes} bytes\n`,
);
