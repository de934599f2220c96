/**
 * The soak: an app with a mix of answers, and a keep-alive client that
 * drives it over many connections with a mix of methods, bodies and
 * pipelining, checking every response byte for byte. Used by
 * `scripts/soak.ts` (millions of requests) and `tests/serve/soak_test.ts`
 * (a short run in CI).
 *
 * @module
 */
import { connect, type Socket } from "node:net";

/**
 * The soak's app: `GET /n/<k>` answers `k` bytes of a pattern, `POST` and
 * `PUT` echo their body (Content-Length or chunked), `HEAD` answers the
 * headers of a GET, `DELETE` answers 204.
 */
export async function soakHandler(request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  switch (request.method) {
    case "GET":
    case "HEAD":
      return new Response(patternText(Number(path.slice(3)) || 0));
    case "POST":
    case "PUT":
      return new Response(await request.arrayBuffer());
    case "DELETE":
      return new Response(null, { status: 204 });
    default:
      return new Response("unexpected method", { status: 400 });
  }
}

/** `size` characters of a repeating pattern that shows loss or reordering. */
function patternText(size: number): string {
  let text = "";
  while (text.length < size) text += "0123456789abcdefghijklmnopqrstuvwxyz";
  return text.slice(0, size);
}

/** Options of {@linkcode runSoak}. */
export interface SoakOptions {
  port: number;
  host?: string;
  /** Requests in all. */
  requests: number;
  /** Keep-alive connections, each sending batches of pipelined requests. */
  connections: number;
  /** Called after each quarter of the requests has been answered (1 to 4). */
  onQuarter?: (quarter: number) => void;
}

/** What a soak run saw. */
export interface SoakResult {
  /** Requests answered correctly. */
  answered: number;
  /** Wrong answers and connection failures, with a description each (first 20 kept). */
  errors: number;
  samples: string[];
  seconds: number;
}

interface Expected {
  status: number;
  body: string;
  head: boolean;
}

/** A request of the mix, by sequence number: the raw bytes and what must come back. */
function mixed(i: number): { raw: string; expected: Expected } {
  const size = (i * 7919) % 1500;
  switch (i % 8) {
    case 0:
    case 1:
    case 2:
      return {
        raw: `GET /n/${size} HTTP/1.1\r\nHost: soak\r\n\r\n`,
        expected: { status: 200, body: patternText(size), head: false },
      };
    case 3:
      return {
        raw: `HEAD /n/${size} HTTP/1.1\r\nHost: soak\r\n\r\n`,
        expected: { status: 200, body: "", head: true },
      };
    case 4:
    case 5: {
      const body = patternText(size).split("").reverse().join("");
      return {
        raw: `POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        expected: { status: 200, body, head: false },
      };
    }
    case 6: {
      const body = patternText(size + 1);
      const half = body.length >> 1;
      const chunk = (part: string): string =>
        part.length === 0 ? "" : `${part.length.toString(16)}\r\n${part}\r\n`;
      return {
        raw: `PUT /echo HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\n` +
          chunk(body.slice(0, half)) + chunk(body.slice(half)) + "0\r\n\r\n",
        expected: { status: 200, body, head: false },
      };
    }
    default:
      return {
        raw: `DELETE /item/${i} HTTP/1.1\r\nHost: soak\r\n\r\n`,
        expected: { status: 204, body: "", head: false },
      };
  }
}

/**
 * Runs the soak against `host:port`: each connection sends batches of one
 * to four pipelined requests and checks each response (status, framing,
 * body) before sending the next batch. Resolves when `requests` were
 * answered or every connection failed.
 */
export function runSoak(options: SoakOptions): Promise<SoakResult> {
  const started = performance.now();
  const result: SoakResult = { answered: 0, errors: 0, samples: [], seconds: 0 };
  let issued = 0;
  let quarter = 1;
  const fail = (what: string): void => {
    result.errors++;
    if (result.samples.length < 20) result.samples.push(what);
  };
  const answeredOne = (): void => {
    result.answered++;
    while (quarter <= 4 && result.answered >= (options.requests * quarter) / 4) {
      const reached = quarter++; // outside the optional call, which skips its arguments
      options.onQuarter?.(reached);
    }
  };
  const runConnection = (id: number): Promise<void> =>
    new Promise((resolve) => {
      const socket: Socket = connect({ port: options.port, host: options.host ?? "127.0.0.1" });
      socket.setNoDelay(true);
      socket.setEncoding("latin1");
      let buffer = "";
      let pending: Expected[] = [];
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        socket.destroy();
        resolve();
      };
      const sendBatch = (): void => {
        const depth = 1 + ((id + issued) % 4);
        let raw = "";
        for (let k = 0; k < depth && issued < options.requests; k++) {
          const request = mixed(issued++);
          raw += request.raw;
          pending.push(request.expected);
        }
        if (pending.length === 0) return finish();
        socket.write(raw, "latin1");
      };
      socket.on("connect", sendBatch);
      socket.on("data", (text: string) => {
        buffer += text;
        while (pending.length > 0) {
          const end = buffer.indexOf("\r\n\r\n");
          if (end === -1) return;
          const head = buffer.slice(0, end);
          const expected = pending[0];
          const status = Number(head.slice(9, 12));
          const length = /\r\ncontent-length: (\d+)/i.exec(head);
          const bodyLength = expected.head || status === 204 ? 0 : Number(length?.[1] ?? -1);
          if (bodyLength < 0) {
            fail(`connection ${id}: no content-length in ${JSON.stringify(head)}`);
            return finish();
          }
          if (buffer.length < end + 4 + bodyLength) return;
          const body = buffer.slice(end + 4, end + 4 + bodyLength);
          buffer = buffer.slice(end + 4 + bodyLength);
          pending = pending.slice(1);
          if (status !== expected.status || body !== expected.body) {
            fail(
              `connection ${id}: got ${status} with ${body.length} bytes, expected ` +
                `${expected.status} with ${expected.body.length}`,
            );
          } else {
            answeredOne();
          }
        }
        if (buffer.length > 0) {
          fail(`connection ${id}: ${buffer.length} unexpected bytes`);
          return finish();
        }
        sendBatch();
      });
      socket.on("error", (error) => {
        fail(`connection ${id}: ${error.message}`);
        finish();
      });
      socket.on("close", () => {
        if (!done && (pending.length > 0 || issued < options.requests)) {
          fail(`connection ${id}: closed by the server with ${pending.length} answers missing`);
        }
        finish();
      });
    });
  return Promise.all(
    Array.from({ length: options.connections }, (_, id) => runConnection(id)),
  ).then(() => {
    result.seconds = (performance.now() - started) / 1000;
    return result;
  });
}
