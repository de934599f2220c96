/** Test helpers: split a byte-exact server transcript into responses; GET over HTTPS or a Unix socket. */
import { type IncomingMessage, request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface ParsedResponse {
  version: string;
  status: number;
  reason: string;
  /** Header names lowercased, in order. */
  headers: [string, string][];
  body: string;
  /** Raw head text. */
  head: string;
}

/** First value of a header (case-insensitive), or undefined. */
export function header(response: ParsedResponse, name: string): string | undefined {
  return response.headers.find(([n]) => n === name.toLowerCase())?.[1];
}

/**
 * Parses every response in `text` (latin1): Content-Length, chunked, and
 * close-delimited bodies; 1xx, 204, 304 and responses to HEAD (`headFor`
 * gives, per response index, whether it answers a HEAD) have none.
 */
export function parseResponses(
  text: string,
  headFor: (index: number) => boolean = () => false,
): ParsedResponse[] {
  const responses: ParsedResponse[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    if (end === -1) {
      throw new Error(`incomplete response head: ${JSON.stringify(rest.slice(0, 200))}`);
    }
    const head = rest.slice(0, end);
    rest = rest.slice(end + 4);
    const [statusLine, ...lines] = head.split("\r\n");
    const match = /^(HTTP\/\d\.\d) (\d{3}) (.*)$/.exec(statusLine);
    if (!match) throw new Error(`bad status line: ${JSON.stringify(statusLine)}`);
    const headers = lines.map((line): [string, string] => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    });
    const status = Number(match[2]);
    const response: ParsedResponse = {
      version: match[1],
      status,
      reason: match[3],
      headers,
      body: "",
      head,
    };
    const interim = status >= 100 && status < 200;
    const noBody = interim || status === 204 || status === 304 ||
      headFor(responses.filter((r) => r.status >= 200).length);
    const length = headers.find(([n]) => n === "content-length")?.[1];
    const chunked = headers.some(([n, v]) => n === "transfer-encoding" && /chunked/i.test(v));
    if (noBody) {
      // nothing
    } else if (chunked) {
      let body = "";
      for (;;) {
        const lineEnd = rest.indexOf("\r\n");
        if (lineEnd === -1) throw new Error("incomplete chunk size line");
        const size = parseInt(rest.slice(0, lineEnd).split(";")[0], 16);
        rest = rest.slice(lineEnd + 2);
        if (size === 0) {
          const trailerEnd = rest.indexOf("\r\n");
          if (trailerEnd !== 0) {
            const end2 = rest.indexOf("\r\n\r\n");
            rest = rest.slice(end2 + 4);
          } else {
            rest = rest.slice(2);
          }
          break;
        }
        body += rest.slice(0, size);
        if (rest.slice(size, size + 2) !== "\r\n") throw new Error("chunk not followed by CRLF");
        rest = rest.slice(size + 2);
      }
      response.body = body;
    } else if (length !== undefined) {
      response.body = rest.slice(0, Number(length));
      if (response.body.length < Number(length)) throw new Error("incomplete body");
      rest = rest.slice(Number(length));
    } else {
      response.body = rest;
      rest = "";
    }
    responses.push(response);
  }
  return responses;
}

/**
 * A predicate on a transcript: whether it holds a complete final response to
 * each request of `raw` (requests counted by their request lines; a HEAD's
 * response has no body). A response whose body ends with the connection is
 * complete only then. A test client waits for it before it half-closes: a
 * client's FIN while a response is still owed means it left.
 */
export function answersTo(raw: string): (text: string) => boolean {
  // Unanchored: a pipelined request may follow a body with no line end of its own.
  const methods = [...raw.matchAll(/([A-Z]+) [^ \r\n]+ HTTP\/1\.[01]\r\n/g)].map((m) => m[1]);
  return (text) => {
    let responses: ParsedResponse[];
    try {
      responses = parseResponses(text, (i) => methods[i] === "HEAD");
    } catch {
      return false; // incomplete yet
    }
    const final = responses.filter((r) => r.status >= 200);
    const last = final.at(-1);
    if (last === undefined || final.length < methods.length) return false;
    return last.status === 204 || last.status === 304 || methods[final.length - 1] === "HEAD" ||
      last.headers.some(([name]) => name === "content-length" || name === "transfer-encoding");
  };
}

/**
 * GETs with Node's client, for what `fetch` cannot reach: an HTTPS server
 * with a self-signed certificate (`url`), or a Unix socket (`socketPath`).
 * Resolves with the body as text.
 */
export function getText(target: { url: string } | { socketPath: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const done = (res: IncomingMessage): void => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve(text));
    };
    const req = "url" in target
      ? httpsRequest(target.url, { rejectUnauthorized: false }, done)
      : httpRequest(
        { socketPath: target.socketPath, path: "/", headers: { host: "localhost" } },
        done,
      );
    req.on("error", reject);
    req.end();
  });
}
