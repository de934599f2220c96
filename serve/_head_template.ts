/**
 * A connection's repeated GET head gets a template `Request`, on Bun. A
 * keep-alive client sends the same head again and again; the engine then
 * lends each request the fields it kept (`httputil/_repeated_head.ts`), the
 * same list each time. Bun's `new Request(template)` copies the template's
 * URL and header list natively, where `new Request(url)` parses the URL and
 * each field goes in through `headers.append` (name checked, lowered and
 * stored once per field per request): the copy costs about 100-150 ns less
 * per request with three fields, and the URL string is not built again.
 *
 * The copy is a genuine `Request` of its own (its fields may be changed
 * without touching the template's), and follows the template's signal,
 * which nothing can abort; `request.signal` is the exchange's, as for any
 * request of `serve()`'s (`_client_signal.ts`).
 *
 * Kept in a `WeakMap` keyed by the lent fields: a template lives as long as
 * its connection keeps that head, and one connection's is never another's.
 * Deno's and Node's copies cost more than they save: there a request is
 * built from its URL (on Deno, from the URL's template, `_request_template.ts`,
 * which on Bun serves a connection's first GET).
 *
 * @module
 */
import type { ConnectionInfo } from "../core/transport.ts";
import type { HeaderList } from "../httputil/headers.ts";
import type { RequestHead } from "../httputil/parse.ts";
import { requestUrl } from "../httputil/request_url.ts";
import { fieldValue, lentFields } from "../internal/header_fill.ts";

/** A template and what it was made for (the fields are the map's key). */
interface Template {
  readonly target: string;
  readonly info: ConnectionInfo;
  readonly request: Request;
  /** Whether the head asks for an upgrade: each copy is then marked upgradable. */
  readonly upgrade: boolean;
}

const TEMPLATES = "Bun" in globalThis ? new WeakMap<readonly string[], Template>() : null;

/**
 * The template for a GET `head` with fields lent by the connection's kept
 * head, made now if there is none yet; `null` when the head's fields are its
 * own (not repeated) or off Bun. `make(url, headers)` builds the template
 * (and throws as the request would).
 */
export function headTemplate(
  head: Pick<RequestHead, "target" | "headers">,
  info: ConnectionInfo,
  make: (url: string, headers: HeaderList) => Request,
): Template | null {
  if (TEMPLATES === null) return null;
  const fields = lentFields(head.headers);
  if (fields === null) return null;
  const known = TEMPLATES.get(fields);
  if (known !== undefined && known.target === head.target && known.info === info) return known;
  const made: Template = {
    target: head.target,
    info,
    request: make(requestUrl(head, info), head.headers),
    upgrade: fieldValue(head.headers, "upgrade") !== null,
  };
  TEMPLATES.set(fields, made);
  return made;
}
