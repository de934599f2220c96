/**
 * `request.signal` made on first use. A `Request` built with a `signal`
 * follows it through a dependent signal, and that costs more than the rest
 * of the `Request` (measured per request: Node 20 19.9 µs against 8.8,
 * Deno 8.7 against 4.1, Bun 1.7 against 1.4), while most handlers never
 * look at the signal. So the `Request` is built without one, as a subclass
 * whose `signal` getter makes the controller only when read, and whose
 * `clone()` shares it.
 *
 * What this changes: on Deno and Node, `new Request(request)` with one argument copies the
 * runtime's own signal, which never aborts; `new Request(url, request)` and
 * `fetch(url, request)` read `request.signal` and so follow the client.
 *
 * @module
 */

/** Where a request's signal comes from: an exchange's `Completion` (`_completion.ts`), or a worker-mode shuttle. */
export interface SignalSource {
  readonly signal: AbortSignal;
}

const SOURCE = Symbol("hussar.signalSource");

type WithSource = Request & { [SOURCE]: SignalSource };

/**
 * A genuine `Request` (brand checks, `fetch(request)` and `new Request(request)`
 * work) whose `signal` is its source's. Named `Request`, as its
 * `constructor.name` shows.
 */
const SignalledRequest = class Request extends globalThis.Request {
  declare [SOURCE]: SignalSource;

  constructor(
    input: string | globalThis.Request,
    init: RequestInit | undefined,
    source: SignalSource,
  ) {
    super(input, init);
    this[SOURCE] = source;
  }
};

/** `signal` and `clone()`, on the subclass's prototype (and on a clone itself). */
const OWN: PropertyDescriptorMap = {
  signal: {
    get(this: WithSource): AbortSignal {
      return this[SOURCE].signal;
    },
    configurable: true,
  },
  clone: {
    value: function clone(this: WithSource): Request {
      // The runtime's clone is a plain Request: it gets the properties itself.
      const copy = globalThis.Request.prototype.clone.call(this) as WithSource;
      copy[SOURCE] = this[SOURCE];
      return Object.defineProperties(copy, OWN);
    },
    configurable: true,
    writable: true,
  },
};
Object.defineProperties(SignalledRequest.prototype, OWN);

/** A `Request` whose `signal` is that of `source` (see the module notes). */
export function signalledRequest(
  input: string | Request,
  init: RequestInit | undefined,
  source: SignalSource,
): Request {
  return new SignalledRequest(input, init, source);
}
