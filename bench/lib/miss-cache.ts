import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The Cache API backend workerd is given (`cacheApiOutbound`): a cache that never holds
 * anything. Raw workerd has no cache by default and `caches.default.match` throws ("No
 * Cache was configured"), which would charge our worker an exception per request that
 * production never pays. Here a lookup is a real round trip that misses (504 with
 * `CF-Cache-Status: MISS`, workerd's protocol for a miss) and a store is accepted and
 * dropped, like an edge cache that has not seen the page yet. It runs outside workerd, as
 * the platform's cache does, so its CPU is not counted as the worker's.
 */

export interface MissCache {
  readonly address: string;
  lookups(): number;
  stores(): number;
  close(): Promise<void>;
}

/** Starts the always-miss cache on 127.0.0.1 (an ephemeral port). */
export async function startMissCache(): Promise<MissCache> {
  let lookups = 0;
  let stores = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    if (req.method === "PUT") {
      stores++;
      res.writeHead(204).end();
      return;
    }
    lookups++;
    res.writeHead(504, { "CF-Cache-Status": "MISS", "Content-Length": "0" }).end();
  });
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    lookups: () => lookups,
    stores: () => stores,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
