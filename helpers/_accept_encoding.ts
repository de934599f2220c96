/**
 * Content negotiation on `Accept-Encoding` (RFC 9110 §12.5.3), shared by the
 * file server (precompressed variants) and response compression.
 *
 * @module
 */

/**
 * The codings of `supported` the client accepts, best first: by q-value,
 * then in `supported`'s order. A coding with q=0 is refused, `*` covers the
 * codings not named. A missing header means no coding (identity).
 */
export function acceptedEncodings<T extends string>(
  header: string | null,
  supported: readonly T[],
): T[] {
  if (header === null) return [];
  const weights = new Map<string, number>();
  for (const item of header.split(",")) {
    const [name, ...params] = item.split(";").map((part) => part.trim());
    if (name === "") continue;
    let q = 1;
    for (const param of params) {
      const match = /^q\s*=\s*([01](?:\.\d{0,3})?)$/i.exec(param);
      // A malformed weight makes the item meaningless: skip it rather than guess.
      if (/^q\s*=/i.test(param)) q = match ? Math.min(Number(match[1]), 1) : NaN;
    }
    if (!Number.isNaN(q)) weights.set(name.toLowerCase(), q);
  }
  const wildcard = weights.get("*");
  return supported
    .map((coding, order) => ({ coding, order, q: weights.get(coding) ?? wildcard ?? 0 }))
    .filter(({ q }) => q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order)
    .map(({ coding }) => coding);
}

/** Adds `Accept-Encoding` to a `Vary` header unless it (or `*`) is there already. */
export function varyOnAcceptEncoding(headers: Headers): void {
  const vary = headers.get("vary");
  if (vary === null) {
    headers.set("vary", "Accept-Encoding");
  } else if (!vary.split(",").some((v) => /^(accept-encoding|\*)$/i.test(v.trim()))) {
    headers.set("vary", `${vary}, Accept-Encoding`);
  }
}
