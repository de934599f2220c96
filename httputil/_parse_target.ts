/**
 * Syntax checks for a request-target's form (RFC 9112 §3.2) and for a Host
 * value (RFC 9110 §7.2), on the raw bytes so no string is built for them.
 *
 * @module
 */

import { HttpError } from "./errors.ts";
import { HEX_VALUE, IP_LITERAL, REG_NAME, SCHEME } from "./_chars.ts";

const SLASH = 0x2f;
const STAR = 0x2a;
const QUESTION = 0x3f;
const HASH = 0x23;
const AT = 0x40;
const PERCENT = 0x25;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether `buf[start, end)` is `uri-host [":" port]` with a non-empty host.
 * An empty reg-name is valid URI syntax, but an http(s) target URI needs a
 * host and RFC 9112 §3.3 lets a server reject one without it, so it is
 * refused too. `requirePort` is for authority-form (CONNECT).
 */
export function isHostSyntax(
  buf: Uint8Array,
  start: number,
  end: number,
  requirePort: boolean,
): boolean {
  if (start === end) return false;
  let i = start;
  if (buf[i] === OPEN_BRACKET) {
    i++;
    const inner = i;
    while (i < end && buf[i] !== CLOSE_BRACKET) {
      if (IP_LITERAL[buf[i]] === 0) return false;
      i++;
    }
    if (i === end || i === inner) return false;
    i++;
  } else {
    while (i < end) {
      const c = buf[i];
      if (c === COLON) break;
      if (c === PERCENT) {
        if (i + 2 >= end || HEX_VALUE[buf[i + 1]] === 255 || HEX_VALUE[buf[i + 2]] === 255) {
          return false;
        }
        i += 3;
        continue;
      }
      if (REG_NAME[c] === 0) return false;
      i++;
    }
    if (i === start) return false;
  }
  if (i === end) return !requirePort;
  if (buf[i] !== COLON) return false;
  i++;
  if (requirePort && i === end) return false;
  for (; i < end; i++) {
    const c = buf[i];
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

const CONNECT = [0x43, 0x4f, 0x4e, 0x4e, 0x45, 0x43, 0x54];
const OPTIONS = [0x4f, 0x50, 0x54, 0x49, 0x4f, 0x4e, 0x53];

/** Whether `buf[start, end)` is exactly `name` (methods are case-sensitive). */
function methodIs(buf: Uint8Array, start: number, end: number, name: number[]): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (buf[start + i] !== name[i]) return false;
  return true;
}

/**
 * Checks the form of the target `buf[start, end)`, whose bytes are already
 * known to be visible ASCII, for the method `buf[methodStart, methodEnd)`:
 * origin-form, absolute-form (http and https only), authority-form for
 * CONNECT only (and always for CONNECT), asterisk-form for OPTIONS only.
 * Throws a 400.
 */
export function checkTargetForm(
  buf: Uint8Array,
  methodStart: number,
  methodEnd: number,
  start: number,
  end: number,
): void {
  if (methodIs(buf, methodStart, methodEnd, CONNECT)) {
    if (!isHostSyntax(buf, start, end, true)) {
      throw new HttpError(400, "connect requires an authority-form target");
    }
    return;
  }
  const first = buf[start];
  if (first === SLASH) return;
  if (first === STAR && end - start === 1) {
    if (!methodIs(buf, methodStart, methodEnd, OPTIONS)) {
      throw new HttpError(400, "asterisk-form is only for options");
    }
    return;
  }
  checkAbsoluteForm(buf, start, end);
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function checkAbsoluteForm(buf: Uint8Array, start: number, end: number): void {
  if (!isAlpha(buf[start])) throw new HttpError(400, "invalid request-target");
  let i = start + 1;
  while (i < end && SCHEME[buf[i]] === 1) i++;
  if (i === end || buf[i] !== COLON) throw new HttpError(400, "invalid request-target");
  // Only http(s) targets can address this server; any other scheme (and
  // "host:port", which parses as scheme "host") is not a request it can serve.
  const schemeLength = i - start;
  const http = schemeLength >= 4 && (buf[start] | 0x20) === 0x68 &&
    (buf[start + 1] | 0x20) === 0x74 && (buf[start + 2] | 0x20) === 0x74 &&
    (buf[start + 3] | 0x20) === 0x70 && (schemeLength === 4 ||
      (schemeLength === 5 && (buf[start + 4] | 0x20) === 0x73));
  if (!http) throw new HttpError(400, "unsupported request-target scheme");
  // RFC 9110 §4.2.1: an http(s) URI without a host MUST be rejected, and
  // §4.2.4: userinfo is treated as an error (it is used to disguise the host).
  if (i + 2 >= end || buf[i + 1] !== SLASH || buf[i + 2] !== SLASH) {
    throw new HttpError(400, "invalid request-target");
  }
  const authorityStart = i + 3;
  let authorityEnd = authorityStart;
  while (authorityEnd < end) {
    const c = buf[authorityEnd];
    if (c === SLASH || c === QUESTION || c === HASH) break;
    if (c === AT) throw new HttpError(400, "userinfo in request-target");
    authorityEnd++;
  }
  if (!isHostSyntax(buf, authorityStart, authorityEnd, false)) {
    throw new HttpError(400, "invalid request-target authority");
  }
}
