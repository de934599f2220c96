import assert from "node:assert/strict";
import { ProtocolViolation } from "../../websocket/_frame.ts";

/** For `assert.throws`: a {@linkcode ProtocolViolation} with close code `code` and a message matching `pattern`. */
export function violation(code: number, pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ProtocolViolation, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  };
}
