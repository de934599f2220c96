/**
 * serve()'s reading of a response body (serve/_response_body.ts): a stream
 * the program gives is handed on past its first chunks, and a writer that
 * lets go of it tells the producer why.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { ReaderBody, resolveBody } from "../../serve/_response_body.ts";

const CHUNK = 64 * 1024;

describe("resolveBody", () => {
  it("hands on a program's stream past 64 KiB, and cancels it with the reason the writer gives", async () => {
    let made = 0;
    let cancelled: unknown = "not cancelled";
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(CHUNK));
        made++;
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    const body = await resolveBody(stream, undefined, true);
    assert.ok(body instanceof ReaderBody, "a stream that goes on is handed on, not gathered");
    const first = await body.next();
    assert.equal(first.done, false);
    assert.ok(made < 16, `the producer is not read to the end first (${made} chunks made)`);
    const reason = new Error("the client went away");
    const step = await body.return(reason);
    assert.equal(step.done, true);
    assert.equal(cancelled, reason);
  });
});
