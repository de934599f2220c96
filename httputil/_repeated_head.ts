/**
 * The last request head parsed, kept with its bytes: a keep-alive client
 * sends the same head again and again (its Host, User-Agent, Accept, often
 * its target), and a head byte for byte the last one parses to the same
 * result under the same limits, since the parser keeps no state and looks at
 * nothing past the head. Such a head is compared, not scanned: no field
 * line, no Host syntax, no string looked up again.
 *
 * A head is kept the second time running one of its length and signature
 * misses, so heads that change with every request (a cookie, a path) cost
 * a few comparisons, never a copy; heads over `KEPT` bytes are never kept.
 * The same idea as HTTP/2's reuse of the last validated header block.
 *
 * @module
 */

import { HeaderList } from "./headers.ts";
import type { ParseLimits } from "./limits.ts";
import type { BodyFraming, RequestHead } from "./parse.ts";
import { fillTrusted } from "./_parse_fields.ts";

/** Heads longer than this are never kept. */
const KEPT = 1024;

const bytes = new Uint8Array(KEPT);
/** Length of the kept head (0: none). */
let length = 0;
/** The limits and Host rule it was parsed under (by value: a caller may change its object): others may refuse it. */
let maxHeadBytes = 0;
let maxHeaderCount = 0;
let maxUriLength = 0;
let keptRequireHost = true;
let method = "";
let target = "";
let version: "1.0" | "1.1" = "1.1";
/** Name, lower case, value, for each field: lent to each head made from it (copied if an app edits it). */
let fields: string[] = [];
let keepAlive = true;
let framing: BodyFraming | null = null;
let expect: "100-continue" | null = null;
/** Length and three bytes of the last head that missed (see the module notes). */
let missed = 0;

/**
 * The kept head again if `buf` starts with its bytes and the limits and Host
 * rule are those it was parsed under, else `null`.
 */
export function repeatedHead(
  buf: Uint8Array,
  limits: ParseLimits,
  requireHost: boolean,
): RequestHead | null {
  const n = length;
  if (
    n === 0 || buf.length < n || requireHost !== keptRequireHost ||
    limits.maxHeadBytes !== maxHeadBytes || limits.maxHeaderCount !== maxHeaderCount ||
    limits.maxUriLength !== maxUriLength
  ) {
    return null;
  }
  // From the end, where the head must end with CRLFCRLF at the same place: most others miss there.
  let i = n - 1;
  while (i >= 0 && buf[i] === bytes[i]) i--;
  if (i >= 0) return null;
  const headers = new HeaderList();
  fillTrusted(headers, fields, true);
  return {
    method,
    target,
    version,
    headers,
    headLength: n,
    keepAlive,
    framing: framing!,
    expect,
  };
}

/**
 * Offers a head just parsed from `buf` (`names` its fields as the parser
 * made them, before any app could edit them) to be kept.
 */
export function offerHead(
  buf: Uint8Array,
  head: RequestHead,
  names: string[],
  limits: ParseLimits,
  requireHost: boolean,
): void {
  const n = head.headLength;
  if (n > KEPT) return;
  const signature = n | buf[n >> 1] << 11 | buf[n >> 2] << 19 | (buf[(n * 3) >> 2] & 0x1f) << 27;
  if (signature !== missed) {
    missed = signature;
    return;
  }
  bytes.set(buf.length === n ? buf : buf.subarray(0, n));
  length = n;
  maxHeadBytes = limits.maxHeadBytes;
  maxHeaderCount = limits.maxHeaderCount;
  maxUriLength = limits.maxUriLength;
  keptRequireHost = requireHost;
  method = head.method;
  target = head.target;
  version = head.version;
  fields = names.slice();
  keepAlive = head.keepAlive;
  framing = head.framing;
  expect = head.expect;
}
