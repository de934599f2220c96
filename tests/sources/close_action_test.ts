/** The close decision the three transports share (sources/_timing.ts): wait, close, or linger. */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { closeAction } from "../../sources/_timing.ts";

const done = {
  writeDone: true,
  inputOpen: false,
  inputCancelled: false,
  peerEnded: false,
  closed: false,
  lingering: false,
};

describe("closeAction", () => {
  it("waits while a direction is still in use, or once closed or lingering", () => {
    assert.equal(closeAction({ ...done, writeDone: false }), "wait");
    assert.equal(closeAction({ ...done, inputOpen: true }), "wait");
    assert.equal(closeAction({ ...done, closed: true }), "wait");
    assert.equal(closeAction({ ...done, inputCancelled: true, lingering: true }), "wait");
  });

  it("closes at once when the input was read to its end or the peer ended", () => {
    assert.equal(closeAction(done), "close");
    assert.equal(closeAction({ ...done, inputCancelled: true, peerEnded: true }), "close");
  });

  it("lingers when input was left unread: closing then would reset (RFC 1122 §4.2.2.13)", () => {
    assert.equal(closeAction({ ...done, inputCancelled: true }), "linger");
  });
});
