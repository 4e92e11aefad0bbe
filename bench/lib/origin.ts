import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The one local origin every variant proxies to: a Node keep-alive HTTP server answering
 * a small fixed HTML page (with `</head>`, so the GrowthBook edge app has somewhere to
 * inject) and `Vary: X-Experiment-Enrollments, Accept-Encoding` (so our worker's Vary
 * rewrite runs). It keeps the headers of the last request for the bench's sanity checks.
 */

export const ORIGIN_BODY =
  "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Bench page</title></head>" +
  "<body><main><h1>Bench page</h1><p>A small fixed page from the local origin.</p></main></body></html>\n";

export interface Origin {
  readonly url: string;
  readonly port: number;
  /** Requests served so far. */
  requests(): number;
  /** Headers of the most recent request (for checks). */
  lastHeaders(): IncomingHttpHeaders | null;
  close(): Promise<void>;
}

/** Starts the origin on 127.0.0.1 (an ephemeral port). */
export async function startOrigin(): Promise<Origin> {
  const body = Buffer.from(ORIGIN_BODY);
  let count = 0;
  let last: IncomingHttpHeaders | null = null;
  const server: Server = createServer((req, res) => {
    count++;
    last = req.headers;
    req.resume();
    res.writeHead(200, {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Length": body.length,
      Vary: "X-Experiment-Enrollments, Accept-Encoding",
      "Cache-Control": "private, s-maxage=0, max-age=0, must-revalidate",
    });
    res.end(body);
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests: () => count,
    lastHeaders: () => last,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
