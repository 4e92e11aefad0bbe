import { Agent, request as httpRequest, type IncomingHttpHeaders } from "node:http";

/** One keep-alive HTTP/1.1 client for the bench's own probes (never load). */
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

export interface ProbeResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Wall time from sending to the last body byte, in ms. */
  readonly ms: number;
}

/** Sends one request to 127.0.0.1:port (with any Host header) and reads the whole answer. */
export function probe(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
  body?: string,
): Promise<ProbeResponse> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = httpRequest({ host: "127.0.0.1", port, path, method, headers, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, ms });
      });
      res.on("error", reject);
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`probe of :${port}${path} timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** Polls until the port answers anything, or throws after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, isAlive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive()) throw new Error(`process for :${port} exited before it listened`);
    try {
      await probe(port, "/__bench/ready", { Host: "127.0.0.1" });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`nothing answered on :${port} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Frees the probe client's sockets. */
export function closeProbes(): void {
  agent.destroy();
}
