import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EMBEDDED_REQUESTS, runDemo } from "../demo/transcript.ts";

describe("the demo (main job)", () => {
  it("answers each embedded request, and rejects the smuggling attempt with 400", async () => {
    const transcript = await runDemo();
    const answers = transcript.split(">>> ").slice(1).map((block) =>
      block.slice(block.indexOf("<<< "))
    );
    assert.equal(answers.length, EMBEDDED_REQUESTS.length);
    assert.match(answers[0], /^<<< HTTP\/1\.1 200 OK[\s\S]*hussar says hello/);
    assert.match(answers[1], /200 OK[\s\S]*hello, hussar/);
    assert.match(answers[2], /200 OK[\s\S]*chunked/);
    assert.match(answers[3], /connections so far: 4/);
    assert.match(answers[4], /^<<< HTTP\/1\.1 400 Bad Request/);
  });

  it("serves requests given to it", async () => {
    const transcript = await runDemo(["GET /anything HTTP/1.0\r\n\r\n"]);
    assert.match(transcript, /HTTP\/1\.1 200 OK/);
  });
});
