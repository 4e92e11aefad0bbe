import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the stub saw it on the wire. */
export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export type StubHandler = (req: Recorded, res: ServerResponse) => void | Promise<void>;

/** A real HTTP server on 127.0.0.1 that records every request and answers with `handler`. */
export interface StubServer {
  readonly url: string;
  readonly requests: Recorded[];
  handler: StubHandler;
  close(): Promise<void>;
}

export async function startStub(handler: StubHandler, options: { maxHeaderSize?: number } = {}): Promise<StubServer> {
  const requests: Recorded[] = [];
  const stub: StubServer = {
    url: "",
    requests,
    handler,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const serverOptions = options.maxHeaderSize === undefined ? {} : { maxHeaderSize: options.maxHeaderSize };
  const server = createServer(serverOptions, async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    try {
      for await (const c of req) chunks.push(c as Buffer);
    } catch {
      // the client went away mid-body: record what arrived
    }
    const rec: Recorded = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) };
    requests.push(rec);
    try {
      await stub.handler(rec, res);
    } catch (e) {
      if (!res.headersSent) res.writeHead(599);
      res.end(String(e));
    }
  });
  // As emulation/node-serve.ts: outlive workerd's idle keep-alive connections.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  (stub as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return stub;
}
