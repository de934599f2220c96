/**
 * What a listener makes of a failed accept: a client that reset or aborted
 * before it was taken is skipped at once and silently; a failure of the
 * listener itself (out of descriptors, memory, or unknown) makes it pause,
 * longer while failures go on, and is reported once per run.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import {
  ACCEPT_BACKOFF_MAX_MS,
  ACCEPT_BACKOFF_MIN_MS,
  AcceptFailures,
  isConnectionAcceptError,
} from "../../sources/_accept.ts";
import { captureConsole } from "./_console.ts";

/** An error as the runtimes make them: a message, maybe a name, maybe a system code. */
function systemError(code: string | undefined, name = "Error"): Error {
  const error = new Error(`accept ${code ?? "failed"}`);
  error.name = name;
  if (code !== undefined) Object.assign(error, { code });
  return error;
}

describe("accept errors", () => {
  it("tells a lost connection from a failing listener", () => {
    for (
      const code of [
        "ECONNABORTED",
        "ECONNRESET",
        "ENOTCONN",
        "EPROTO",
        "EPERM",
        "ETIMEDOUT",
        "EHOSTUNREACH",
        "ENETUNREACH",
        "EAGAIN",
        "EINTR",
      ]
    ) {
      assert.equal(isConnectionAcceptError(systemError(code)), true, code);
    }
    // Deno's own error classes, with or without a code.
    assert.equal(isConnectionAcceptError(systemError("ENOTCONN", "NotConnected")), true);
    for (const name of ["NotConnected", "ConnectionReset", "ConnectionAborted"]) {
      assert.equal(isConnectionAcceptError(systemError(undefined, name)), true, name);
    }
    for (const code of ["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM", "EBADF", "EINVAL"]) {
      assert.equal(isConnectionAcceptError(systemError(code)), false, code);
    }
    for (const other of [new Error("what?"), systemError(undefined, "BadResource"), undefined]) {
      assert.equal(isConnectionAcceptError(other), false, String(other));
    }
    assert.equal(isConnectionAcceptError(null), false);
    assert.equal(isConnectionAcceptError("ECONNRESET"), false);
  });

  it("skips lost connections at once and silently, however many", () => {
    const logged = captureConsole();
    try {
      const failures = new AcceptFailures();
      for (let i = 0; i < 1000; i++) {
        assert.equal(failures.failed(systemError("ENOTCONN", "NotConnected")), 0);
        assert.equal(failures.failed(systemError("ECONNABORTED")), 0);
      }
      assert.deepEqual(logged.lines, []);
    } finally {
      logged.restore();
    }
  });

  it("pauses after a listener failure, doubling up to a bound, and says so once per run", () => {
    const logged = captureConsole();
    try {
      const failures = new AcceptFailures();
      const pauses: number[] = [];
      for (let i = 0; i < 10; i++) pauses.push(failures.failed(systemError("EMFILE")));
      assert.equal(pauses[0], ACCEPT_BACKOFF_MIN_MS);
      for (let i = 1; i < pauses.length; i++) {
        assert.equal(pauses[i], Math.min(pauses[i - 1] * 2, ACCEPT_BACKOFF_MAX_MS));
      }
      assert.equal(pauses.at(-1), ACCEPT_BACKOFF_MAX_MS);
      // A lost connection in the middle of the run neither pauses nor ends it.
      assert.equal(failures.failed(systemError("ECONNRESET")), 0);
      assert.equal(failures.failed(systemError("EMFILE")), ACCEPT_BACKOFF_MAX_MS);
      assert.equal(logged.lines.length, 1);
      assert.match(logged.lines[0], /^error: hussar: accept failed, backing off: .*EMFILE/);
      assert.doesNotMatch(logged.lines[0], /\n/);

      // An accepted connection ends the run: the next failure starts over, and is reported.
      failures.succeeded();
      assert.equal(failures.failed(systemError("ENFILE")), ACCEPT_BACKOFF_MIN_MS);
      assert.equal(logged.lines.length, 2);
      assert.match(logged.lines[1], /ENFILE/);
    } finally {
      logged.restore();
    }
  });
});
