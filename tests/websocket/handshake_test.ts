/** The opening handshake (RFC 6455 §4.2): checks, the accept key, subprotocol choice. */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import { acceptKey, checkHandshake, selectProtocol, tokens } from "../../websocket/_handshake.ts";
import { sha1 } from "../../websocket/_sha1.ts";
import { upgradeWebSocket, WebSocketUpgradeError } from "../../websocket/mod.ts";

const GOOD = {
  upgrade: "websocket",
  connection: "Upgrade",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
  "sec-websocket-version": "13",
};

function request(headers: Record<string, string | null>, method = "GET"): Request {
  const merged = { ...GOOD, ...headers };
  const list = Object.entries(merged).filter((e): e is [string, string] => e[1] !== null);
  return new Request("http://example.com/chat", { method, headers: list });
}

function refused(status: number, pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof WebSocketUpgradeError, String(error));
    assert.equal(error.status, status);
    assert.match(error.message, pattern);
    return true;
  };
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

describe("SHA-1 and the accept key", () => {
  it("gives the RFC 6455 §1.3 example answer", () => {
    assert.equal(acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });

  it("matches crypto.subtle for lengths around every padding boundary", async () => {
    assert.equal(hex(sha1(new Uint8Array(0))), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    for (const length of [1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
      const data = crypto.getRandomValues(new Uint8Array(length));
      const expected = new Uint8Array(await crypto.subtle.digest("SHA-1", data));
      assert.equal(hex(sha1(data)), hex(expected), `length ${length}`);
    }
  });
});

describe("checkHandshake", () => {
  it("accepts a valid handshake, tokens in any case and among others", () => {
    const handshake = checkHandshake(request({
      upgrade: "WebSocket",
      connection: "keep-alive, UPGRADE",
      "sec-websocket-protocol": "chat, superchat",
    }));
    assert.deepEqual(handshake, {
      key: GOOD["sec-websocket-key"],
      protocols: ["chat", "superchat"],
    });
  });

  it("refuses what is not a GET (405, Allow: GET)", () => {
    assert.throws(() => checkHandshake(request({}, "POST")), (error) => {
      assert.ok(error instanceof WebSocketUpgradeError);
      assert.equal(error.status, 405);
      assert.equal(error.headers.allow, "GET");
      return true;
    });
  });

  it("refuses a missing or wrong Upgrade or Connection token (400)", () => {
    assert.throws(
      () => checkHandshake(request({ upgrade: null })),
      refused(400, /Upgrade: websocket/),
    );
    assert.throws(
      () => checkHandshake(request({ upgrade: "h2c" })),
      refused(400, /Upgrade: websocket/),
    );
    assert.throws(
      () => checkHandshake(request({ connection: "keep-alive" })),
      refused(400, /Connection/),
    );
    assert.throws(
      () => checkHandshake(request({ connection: "upgraded" })),
      refused(400, /Connection/),
    );
  });

  it("refuses a missing or other version with 426 and Sec-WebSocket-Version: 13", () => {
    for (const version of [null, "8", "13, 8"]) {
      assert.throws(
        () => checkHandshake(request({ "sec-websocket-version": version })),
        (error) => {
          assert.ok(error instanceof WebSocketUpgradeError);
          assert.equal(error.status, 426);
          assert.equal(error.headers["sec-websocket-version"], "13");
          return true;
        },
      );
    }
  });

  it("refuses a missing key, and one that is not the base64 of 16 bytes (400)", () => {
    assert.throws(
      () => checkHandshake(request({ "sec-websocket-key": null })),
      refused(400, /missing Sec-WebSocket-Key/),
    );
    for (
      const key of [
        "abc",
        "dGhlIHNhbXBsZSBub25jZQ",
        "dGhlIHNhbXBsZSBub25jZQo=",
        "dGhlIHNhbXBsZSBub25jZR==",
        "dGhlIHNhbXBsZSBub25jZQ==, dGhlIHNhbXBsZSBub25jZQ==",
      ]
    ) {
      assert.throws(
        () => checkHandshake(request({ "sec-websocket-key": key })),
        refused(400, /16 bytes/),
        key,
      );
    }
  });
});

describe("subprotocols", () => {
  it("picks the server's first preference the client offered, else none", () => {
    assert.equal(selectProtocol(["a", "b"], "b"), "b");
    assert.equal(selectProtocol(["a", "b"], ["c", "b", "a"]), "b");
    assert.equal(selectProtocol(["a"], "z"), "");
    assert.equal(selectProtocol([], "a"), "");
    assert.equal(selectProtocol(["a"], undefined), "");
    assert.deepEqual(tokens(" a ,, b,"), ["a", "b"]);
  });
});

describe("upgradeWebSocket outside serve()", () => {
  it("throws WebSocketUpgradeError for a bad handshake, whose toResponse() says why", async () => {
    let caught: unknown;
    try {
      upgradeWebSocket(new Request("http://x/"));
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof WebSocketUpgradeError);
    const response = caught.toResponse();
    assert.equal(response.status, 400);
    assert.match(await response.text(), /Upgrade: websocket/);
  });

  it("throws TypeError for a valid handshake on a Request serve() did not make", () => {
    assert.throws(() => upgradeWebSocket(request({})), (error) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /did not come from hussar's serve/);
      return true;
    });
  });

  it("checks its options", () => {
    // Options are checked before the request is claimed, so a RangeError comes first.
    assert.throws(() => upgradeWebSocket(request({}), { maxMessageSize: 0 }), RangeError);
    assert.throws(() => upgradeWebSocket(request({}), { idleTimeout: -1 }), RangeError);
  });
});
