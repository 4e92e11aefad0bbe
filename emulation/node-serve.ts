import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A tiny Request/Response bridge from node:http to a fetch-style handler, because
 * itty-router has no Node adapter of its own. It buffers request bodies (the emulated
 * servers only ever see small ones), treats HEAD as GET without a body, keeps repeated
 * Set-Cookie lines apart, and closes every open connection on close() so a Ctrl-C or a
 * test teardown never waits for keep-alive sockets.
 */

/** A fetch-style handler, e.g. an itty-router `router.fetch`. */
export type FetchHandler = (request: Request) => Promise<Response> | Response;

/** A running server: its base URL (no trailing slash), its port, and how to stop it. */
export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Interface to bind; default 127.0.0.1 (the emulation never listens beyond loopback). */
  readonly host?: string;
}

/** Serves `handler` on node:http until close(). */
export async function serveFetch(handler: FetchHandler, options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    void respond(handler, req, res, host);
  });
  // Node closes an idle keep-alive socket after 5 s; workerd may reuse it at that instant, and
  // the request fails with "Network connection lost" (seen once in the browser test on a busy
  // machine). An origin behind a proxy should outlive the proxy's idle connections.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function respond(handler: FetchHandler, req: IncomingMessage, res: ServerResponse, host: string): Promise<void> {
  try {
    const request = await toRequest(req, host);
    const response = await handler(request);
    await writeResponse(res, response, req.method === "HEAD");
  } catch (e) {
    if (!res.headersSent) {
      res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      res.end(`emulation server error: ${(e as Error).message}\n`);
    } else {
      res.destroy();
    }
  }
}

async function toRequest(req: IncomingMessage, host: string): Promise<Request> {
  const authority = req.headers.host ?? host;
  const url = new URL(req.url ?? "/", `http://${authority}`);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  }
  // HEAD is answered exactly like GET; the body is dropped when writing.
  const method = req.method === "HEAD" ? "GET" : (req.method ?? "GET");
  let body: Buffer | undefined;
  if (method !== "GET") {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    body = Buffer.concat(chunks);
  }
  return new Request(url, body === undefined ? { method, headers } : { method, headers, body });
}

async function writeResponse(res: ServerResponse, response: Response, head: boolean): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  const body = response.body === null ? null : Buffer.from(await response.arrayBuffer());
  if (body !== null && headers["content-length"] === undefined) headers["content-length"] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(head ? undefined : (body ?? undefined));
}
