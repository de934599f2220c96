/**
 * The `Response` constructor `serve()` puts in `globalThis` (on Node, a
 * response made with a string makes its body on first use): a response
 * made with a string reads, clones and checks as the runtime's own does.
 */
import { describe, it } from "../_testing.ts";
import assert from "node:assert/strict";
import "../../serve/mod.ts";

const decode = (bytes: ArrayBuffer | Uint8Array): string => new TextDecoder().decode(bytes);

describe("a Response made with a string", () => {
  it("reads back as that string, whichever way it is read", async () => {
    const text = '{"a":"é"}';
    assert.equal(await new Response(text).text(), text);
    assert.deepEqual(await new Response(text).json(), { a: "é" });
    assert.equal(decode(await new Response(text).arrayBuffer()), text);
    const blob = await new Response(text).blob();
    assert.equal(blob.type, "text/plain;charset=utf-8");
    assert.equal(await blob.text(), text);
    const body = new Response(text).body!;
    assert.ok(body instanceof ReadableStream);
    assert.equal(await new Response(body).text(), text);
    const form = await new Response("a=1&b=2", {
      headers: { "content-type": "application/x-www-form-urlencoded" },
    }).formData();
    assert.equal(form.get("b"), "2");
  });

  it("is a Response by every check, with the standard's Content-Type", () => {
    const response = new Response("hi", { status: 201, statusText: "Made" });
    assert.ok(response instanceof Response);
    assert.equal(response.constructor, Response);
    assert.equal(response.constructor.name, "Response");
    assert.equal(Object.prototype.toString.call(response), "[object Response]");
    assert.deepEqual(
      [response.status, response.statusText, response.ok, response.type, response.url],
      [201, "Made", true, "default", ""],
    );
    assert.equal(response.headers.get("content-type"), "text/plain;charset=UTF-8");
    const typed = new Response("{}", {
      headers: { "Content-Type": "application/json", "x-a": "1" },
    });
    assert.deepEqual([...typed.headers], [["content-type", "application/json"], ["x-a", "1"]]);
  });

  it("takes an init that sets nothing as none, and one that sets a member as given", async () => {
    const plain = new Response("hi", {});
    assert.deepEqual(
      [plain.status, plain.statusText, [...plain.headers]],
      [200, "", [["content-type", "text/plain;charset=UTF-8"]]],
    );
    assert.equal(await plain.text(), "hi");
    const inits: [ResponseInit, number, string][] = [
      [{ status: 404 }, 404, ""],
      [{ statusText: "Fine" }, 200, "Fine"],
      [{ status: undefined, statusText: undefined }, 200, ""],
    ];
    for (const [init, status, statusText] of inits) {
      const response = new Response("x", init);
      assert.deepEqual([response.status, response.statusText], [status, statusText]);
    }
    assert.throws(() => new Response("x", { status: 99 }), RangeError);
  });

  it("carries its Content-Type into a clone and a copy made from it, read or not", async () => {
    const type = "text/plain;charset=UTF-8";
    const copies = [
      new Response("hi").clone(),
      new Response("hi", new Response("unread")),
      new Response(new Response("hi").body, new Response("unread")),
    ];
    for (const copy of copies) assert.equal(copy.headers.get("content-type"), type);
    const changed = new Response("hi");
    changed.headers.set("content-type", "text/html");
    assert.equal(changed.clone().headers.get("content-type"), "text/html");
    assert.equal(await copies[0].text(), "hi");
  });

  it("is used once read: a second read rejects and clone() throws", async () => {
    const response = new Response("once");
    assert.equal(response.bodyUsed, false);
    assert.equal(await response.text(), "once");
    assert.equal(response.bodyUsed, true);
    await assert.rejects(response.text(), TypeError);
    assert.throws(() => response.clone(), TypeError);
    const locked = new Response("locked");
    locked.body!.getReader();
    assert.throws(() => locked.clone(), TypeError);
  });

  it("clones into a copy with its own body, status and fields", async () => {
    const response = new Response("copy", { status: 202, headers: { "x-a": "1" } });
    const copy = response.clone();
    response.headers.set("x-a", "2");
    assert.ok(copy instanceof Response);
    assert.deepEqual([copy.status, copy.headers.get("x-a")], [202, "1"]);
    assert.equal(await copy.text(), "copy");
    assert.equal(await response.text(), "copy");
  });

  it("with a status that takes no body, is refused where the runtime's own is (not on Bun)", () => {
    const Native = Object.getPrototypeOf(Response) as typeof Response; // what serve() replaced
    const refused = (make: () => Response): string | null => {
      try {
        make();
        return null;
      } catch (error) {
        return (error as Error).constructor.name;
      }
    };
    for (const status of [204, 205, 304]) {
      assert.equal(
        refused(() => new Response("x", { status })),
        refused(() => new Native("x", { status })),
      );
    }
    assert.equal(new Response(null, { status: 204 }).body, null);
  });
});
