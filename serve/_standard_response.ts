/**
 * The Fetch standard's default `Content-Type` where the runtime's `Response`
 * leaves it out ("extract a body", https://fetch.spec.whatwg.org/#concept-bodyinit-extract):
 * a string body is `text/plain;charset=UTF-8`, `Response.json()`'s is
 * `application/json`. Bun keeps the first implicit (its own server adds it
 * when it sends, hussar cannot tell a string body from bytes afterwards)
 * and gives the second a charset; Deno and Node follow the standard.
 *
 * @module
 */

const TEXT = "text/plain;charset=UTF-8";
const JSON_TYPE = "application/json";

type ResponseClass = typeof Response;

/**
 * Makes `scope.Response` put the standard's default `Content-Type` in the
 * header list, where the runtime leaves it out; found by trying, so where
 * `Response` already conforms (Deno, Node, a Bun that does) nothing
 * changes. The replacement is a constructor sharing the native prototype
 * and statics: `instanceof`, subclasses and `Response.error()` behave as
 * before; only `response.constructor` is the native one.
 */
export function standardizeResponse(scope: { Response: ResponseClass } = globalThis): void {
  const Native = scope.Response;
  const wrapText = !new Native("x").headers.has("content-type");
  const wrapJson = Native.json(null).headers.get("content-type") !== JSON_TYPE;
  if (!wrapText && !wrapJson) return;
  const Standard = wrapText ? textDefault(Native) : Native;
  if (wrapJson) jsonDefault(Standard, Native);
  scope.Response = Standard;
}

/** A `Response` constructor that gives a string body its Content-Type. */
function textDefault(Native: ResponseClass): ResponseClass {
  const Response = function (
    this: unknown,
    body?: BodyInit | null,
    init?: ResponseInit,
  ): globalThis.Response {
    if (new.target === undefined) {
      throw new TypeError("Class constructor Response cannot be invoked without 'new'");
    }
    const response = Reflect.construct(Native, [body, init], new.target) as globalThis.Response;
    if (typeof body === "string") {
      const headers = response.headers;
      if (!headers.has("content-type")) headers.set("content-type", TEXT);
    }
    return response;
  } as unknown as ResponseClass;
  // Responses made natively (fetch) stay `instanceof Response`; statics are inherited.
  Object.defineProperty(Response, "prototype", { value: Native.prototype });
  Object.defineProperty(Response, "length", { value: Native.length });
  Object.setPrototypeOf(Response, Native);
  return Response;
}

/** Gives `Standard.json()` the standard's Content-Type when its init names none. */
function jsonDefault(Standard: ResponseClass, Native: ResponseClass): void {
  const nativeJson = Native.json;
  Object.defineProperty(Standard, "json", {
    configurable: true,
    writable: true,
    value: function json(data: unknown, init?: ResponseInit): Response {
      const response = nativeJson.call(Native, data, init);
      if (init?.headers === undefined || !new Headers(init.headers).has("content-type")) {
        response.headers.set("content-type", JSON_TYPE);
      }
      return response;
    },
  });
}
