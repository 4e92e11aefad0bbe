import type { ServerResponse } from "node:http";
import type { Recorded } from "./stub-server.js";

/** How the stub config API answers the next poll: the misbehaviours the poller must survive. */
export interface ConfigReply {
  status?: number;
  type?: string;
  body?: string | Buffer;
  etag?: string;
  /** Never answer at all. */
  hang?: boolean;
  /** Headers and part of the body, then nothing more. */
  hangBody?: boolean;
  /** No Content-Length: the body streams in 1 MiB chunks. */
  chunked?: boolean;
}

/** Writes `reply` (body defaulting to `fallback`) as the config API would; shared by the poller and fault suites. */
export function writeConfigReply(req: Recorded, res: ServerResponse, reply: ConfigReply, fallback: string): void {
  if (reply.hang) return;
  if (reply.etag && req.headers["if-none-match"] === reply.etag) {
    res.writeHead(304, { etag: reply.etag });
    res.end();
    return;
  }
  const headers: Record<string, string> = { "content-type": reply.type ?? "application/json; charset=utf-8" };
  if (reply.etag) headers["etag"] = reply.etag;
  const body = reply.body ?? fallback;
  if (reply.hangBody) {
    res.writeHead(200, headers);
    res.write(String(body).slice(0, 20));
    return;
  }
  if (reply.chunked) {
    res.writeHead(reply.status ?? 200, headers);
    for (let i = 0; i < body.length; i += 1 << 20) res.write(body.slice(i, i + (1 << 20)));
    res.end();
    return;
  }
  res.writeHead(reply.status ?? 200, { ...headers, "content-length": String(Buffer.byteLength(body)) });
  res.end(body);
}
