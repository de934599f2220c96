/**
 * hussar's `Response` constructor, put in `globalThis.Response` once
 * `serve()` is loaded. It makes genuine runtime `Response`s, and does two
 * things more:
 *
 * - It gives a response the Fetch standard's default `Content-Type` where
 *   the runtime leaves it out ("extract a body",
 *   https://fetch.spec.whatwg.org/#concept-bodyinit-extract): a string body
 *   is `text/plain;charset=UTF-8`, `Response.json()`'s is
 *   `application/json`. Bun keeps the first implicit (its own server adds
 *   it when it sends, hussar cannot tell a string body from bytes
 *   afterwards) and gives the second a charset; Deno and Node follow the
 *   standard.
 * - It remembers a string body, so that the server sends the string itself
 *   (with its Content-Length) instead of reading the runtime's stream of it
 *   and racing each read against microtasks to learn that it is complete.
 *   Strings only: they cannot change after the fact, while the bytes of a
 *   buffer the runtime copied at construction could.
 * - It remembers a body given as a `ReadableStream`: the program's own
 *   stream, which the server sends as it is made (chunked) past a small
 *   bound, while a body the runtime makes a stream of (bytes, a Blob, ...)
 *   is read whole and gets its Content-Length (see serve/_response_body.ts).
 * - It remembers that a response made with a string and no header fields
 *   has the one field `Content-Type: text/plain;charset=UTF-8` for as long
 *   as nobody reads its `headers` (a getter of such responses' class, a
 *   subclass of the runtime's), so that the server sends that field without
 *   the runtime's `Headers` (on Deno, reading a response's `headers` and
 *   walking them allocated 1.3 KiB per response).
 * - On Node, whose `Response` makes a byte stream of every body (Node 26:
 *   `new Response(string)` 6-18 µs, `new Response(null)` 0.5), a response
 *   made with a string is a genuine `Response` made without a body, whose
 *   body members (`body`, `bodyUsed`, `text()`, `json()`, `clone()`, ...)
 *   make the runtime's response of that string on first use and answer
 *   from it. It is one in every respect a program can see through those
 *   members; only the runtime's own methods called on it directly
 *   (`Response.prototype.text.call(response)`) see no body.
 *
 * @module
 */

const TEXT_TYPE = "text/plain;charset=UTF-8";
const JSON_TYPE = "application/json";
/** The string a response was made with, or {@linkcode SENT} once the server took it. */
const STRING_BODY = Symbol.for("hussar.stringBody");
const SENT = Symbol.for("hussar.sent");
/** Set on a response whose body was given as a `ReadableStream`. */
const STREAM_BODY = Symbol("hussar.streamBody");

/**
 * A plain-text response's header fields while nobody has read its `headers`:
 * {@linkcode TEXT_FIELDS}, or `null` once read (they may have changed).
 */
const FIELDS = Symbol("hussar.fields");

/** Header fields as the server writes them. */
export type Fields = readonly (readonly [string, string])[];

/** The fields of a response made with a string and no fields (the standard's Content-Type). */
const TEXT_FIELDS: Fields = Object.freeze([Object.freeze(["content-type", TEXT_TYPE] as const)]);

type ResponseClass = typeof Response;
type Remembered = Response & {
  [STRING_BODY]?: string | typeof SENT;
  [FIELDS]?: Fields | null;
  [STREAM_BODY]?: true;
};

/** Whether string bodies are made on first use: Node (see the module notes). */
const LAZY_BODIES = !("Deno" in globalThis) && !("Bun" in globalThis);
/** Statuses that take no body: a string body for one is the runtime's TypeError to throw. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * Puts hussar's `Response` constructor in `scope.Response` (once: a scope
 * that has it already is left alone). It shares the native prototype and
 * statics, and is the prototype's `constructor`: `instanceof`, subclasses,
 * `response.constructor` and `Response.error()` behave as before, and
 * responses the runtime makes (`fetch`) are `instanceof Response` as ever.
 */
export function standardizeResponse(scope: { Response: ResponseClass } = globalThis): void {
  const Native = scope.Response;
  if (Object.hasOwn(Native, STRING_BODY)) return;
  const addText = !new Native("x").headers.has("content-type");
  let Text: TextClass | null = null;
  const Response = function (
    this: unknown,
    body?: BodyInit | null,
    init?: ResponseInit,
  ): globalThis.Response {
    if (new.target === undefined) {
      throw new TypeError("Class constructor Response cannot be invoked without 'new'");
    }
    if (
      typeof body === "string" && new.target === (Response as unknown) &&
      !NULL_BODY.has(init?.status as number) && (LAZY_BODIES || init?.headers === undefined)
    ) return new Text!(body, init);
    // `new Native` unless subclassed: Reflect.construct and its argument list cost more.
    const response =
      (new.target === (Response as unknown)
        ? new Native(body, init)
        : Reflect.construct(Native, [body, init], new.target)) as Remembered;
    if (body instanceof ReadableStream) response[STREAM_BODY] = true;
    else if (typeof body === "string") {
      response[STRING_BODY] = body;
      if (addText) {
        const headers = response.headers;
        // With no fields given there is none to look for.
        if (init?.headers === undefined || !headers.has("content-type")) {
          headers.set("content-type", TEXT_TYPE);
        }
      }
    }
    return response;
  } as unknown as ResponseClass;
  Object.defineProperty(Response, "prototype", { value: Native.prototype });
  Object.defineProperty(Response, "length", { value: Native.length });
  Object.defineProperty(Response, STRING_BODY, { value: true });
  Object.setPrototypeOf(Response, Native); // statics are inherited
  Object.defineProperty(Native.prototype, "constructor", {
    value: Response,
    configurable: true,
    writable: true,
  });
  if (Native.json(null).headers.get("content-type") !== JSON_TYPE) jsonDefault(Response, Native);
  Text = LAZY_BODIES ? lazyResponse(Native, Response) : textResponse(Native, Response, addText);
  scope.Response = Response;
}

type TextClass = new (text: string, init?: ResponseInit) => Response;

/**
 * Whether `init` sets nothing (`{}`, as a handler may pass on): then the
 * runtime is given none, since converting one costs it (Bun: ~60 ns).
 */
function bare(init: ResponseInit | undefined): boolean {
  return init === undefined ||
    (init.status === undefined && init.statusText === undefined && init.headers === undefined);
}

/** Reading `headers` from now on: the fields may change, {@linkcode responseFields} reads them. */
function fieldsRead(response: Remembered, headers: Headers, addText: boolean): Headers {
  if (response[FIELDS] !== null) {
    response[FIELDS] = null;
    // The runtime's (Bun's) would stay implicit: it goes in before anyone can look.
    if (addText) headers.set("content-type", TEXT_TYPE);
  }
  return headers;
}

/** A subclass of the runtime's `Response`, named and constructed as `Standard`. */
function named<T extends TextClass>(Class: T, Standard: ResponseClass): T {
  Object.defineProperty(Class, "name", { value: "Response" });
  Object.defineProperty(Class.prototype, "constructor", {
    value: Standard,
    configurable: true,
    writable: true,
  });
  return Class;
}

/**
 * The class of responses made with a string and no header fields (Deno and
 * Bun): the runtime's `Response`, whose `headers` getter notes that the
 * fields may change from now on (see {@linkcode FIELDS}).
 */
function textResponse(Native: ResponseClass, Standard: ResponseClass, addText: boolean): TextClass {
  class TextResponse extends Native {
    declare [STRING_BODY]: string | typeof SENT;
    declare [FIELDS]: Fields | null;

    constructor(text: string, init: ResponseInit | undefined) {
      super(text, bare(init) ? undefined : init);
      this[STRING_BODY] = text;
      this[FIELDS] = TEXT_FIELDS;
    }

    override get headers(): Headers {
      return fieldsRead(this, super.headers, addText);
    }

    override clone(): Response {
      void this.headers; // its Content-Type goes with the copy
      return super.clone();
    }
  }
  return named(TextResponse, Standard);
}

/** The string a lazy response was made with, and the runtime's response of it once made. */
const TEXT = Symbol("hussar.text");
const MADE = Symbol("hussar.made");

type LazyBody = Remembered & { [TEXT]: string; [MADE]: Response | null };

/**
 * The class of responses made with a string whose body is made on first
 * use (see the module notes): a subclass of the runtime's `Response`
 * whose body members answer from the runtime's response of that string.
 */
function lazyResponse(Native: ResponseClass, Standard: ResponseClass): TextClass {
  const made = (response: LazyBody): Response =>
    response[MADE] ??= new Native(response[TEXT], {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  class LazyResponse extends Native {
    declare [STRING_BODY]: string | typeof SENT;
    declare [TEXT]: string;
    declare [MADE]: Response | null;
    declare [FIELDS]: Fields | null;

    constructor(text: string, init: ResponseInit | undefined) {
      super(null, bare(init) ? undefined : init);
      this[STRING_BODY] = text;
      this[TEXT] = text;
      this[MADE] = null;
      this[FIELDS] = null;
      if (init?.headers === undefined) {
        this[FIELDS] = TEXT_FIELDS; // its Content-Type is set when `headers` is first read
        return;
      }
      const headers = super.headers; // as the runtime's string body: after the init's fields
      if (!headers.has("content-type")) headers.set("content-type", TEXT_TYPE);
    }

    override get headers(): Headers {
      return fieldsRead(this, super.headers, true);
    }

    override get body(): Response["body"] {
      return made(this as LazyBody).body;
    }

    override get bodyUsed(): boolean {
      return this[MADE]?.bodyUsed ?? false;
    }

    override clone(): Response {
      const inner = this[MADE];
      if (inner !== null && (inner.bodyUsed || inner.body?.locked)) {
        throw new TypeError("Response.clone: the body is already used");
      }
      return new Standard(this[TEXT], {
        status: this.status,
        statusText: this.statusText,
        headers: this.headers,
      });
    }
  }
  const Lazy = named(LazyResponse, Standard);
  for (const name of ["arrayBuffer", "blob", "bytes", "formData", "json", "text"] as const) {
    if (!(name in Native.prototype)) continue;
    Object.defineProperty(Lazy.prototype, name, {
      value: function (this: LazyBody): Promise<unknown> {
        return (made(this)[name] as () => Promise<unknown>)();
      },
      configurable: true,
      writable: true,
    });
  }
  return Lazy;
}

/**
 * Deno's own field of a `Response` made with a string alone: that string
 * until anything reads the body (`body`, `bodyUsed`, `text()`, `clone()`
 * ...), which turns it into a stream and the field into `null`. Found by its
 * description and checked once at load; `undefined` elsewhere, or if it does
 * not behave so.
 */
const LAZY_BODY: symbol | undefined = "Deno" in globalThis ? lazyBodyField() : undefined;

type Lazy = Response & Record<symbol, unknown>;

function lazyBodyField(): symbol | undefined {
  const probe = new globalThis.Response("x") as Lazy;
  const field = Object.getOwnPropertySymbols(probe).find((key) =>
    key.description === "lazy static body"
  );
  if (field === undefined || probe[field] !== "x") return undefined;
  void probe.bodyUsed;
  return probe[field] === "x" ? undefined : field;
}

/**
 * The string `response` was made with, or `undefined` if it was made
 * otherwise or its body was read (then its stream says what is left).
 * Taking it counts as reading the body: a `Response` the server has sent
 * cannot be sent again (a TypeError, as a locked body stream gives).
 */
export function takeStringBody(response: Response): string | undefined {
  const body = (response as Remembered)[STRING_BODY];
  if (body === undefined) return undefined;
  // Deno's `bodyUsed` makes the body a stream (its bytes encoded): skipped while it is untouched.
  const untouched = LAZY_BODY !== undefined && (response as Lazy)[LAZY_BODY] === body;
  if (!untouched && response.bodyUsed) return undefined;
  if (body === SENT) throw new TypeError("the Response's body is already used");
  (response as Remembered)[STRING_BODY] = SENT;
  return body;
}

/** Whether `response` was made with a `ReadableStream` body (the program's own stream). */
export function givenAsStream(response: Response): boolean {
  return (response as Remembered)[STREAM_BODY] === true;
}

/**
 * The header fields of `response`, as the server writes them: for a response
 * made with a string and no fields whose `headers` nobody read, the
 * standard's Content-Type alone (the runtime's `Headers` are not made);
 * otherwise its `headers`.
 */
export function responseFields(response: Response): Headers | Fields {
  return (response as Remembered)[FIELDS] ?? response.headers;
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
