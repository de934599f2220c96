import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { exchange } from "../../examples/custom_source.ts";
import { parseResponses } from "../_http.ts";
import { runExample } from "./_run.ts";

describe("examples/custom_source", () => {
  it("answers pipelined requests over an in-memory stream, in order", async () => {
    const text = await exchange(
      "GET /a HTTP/1.1\r\nHost: m\r\n\r\n" +
        "PUT /b HTTP/1.1\r\nHost: m\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
    );
    const responses = parseResponses(text);
    assert.deepEqual(
      responses.map((r) => [r.status, r.body]),
      [[200, "GET /a over memory\n"], [200, "PUT /b over memory\n"]],
    );
  });

  it("rejects a malformed request like a socket server would", async () => {
    const [response] = parseResponses(await exchange("GET / HTTP/1.1\r\n\r\n"));
    assert.equal(response.status, 400);
  });

  it("runs as a program, printing the raw responses", async () => {
    const { code, stdout, stderr } = await runExample("custom_source");
    assert.equal(code, 0, stderr);
    assert.match(stdout, /HTTP\/1\.1 200 OK[\s\S]*GET \/first over memory/);
    assert.match(stdout, /POST \/second over memory/);
  });
});
