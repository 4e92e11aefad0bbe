/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, not the message: a proxy
 * must not pass them on. `TE` and `Trailer` are among them: forwarded, they would let a
 * client negotiate transfer codings with the origin over a connection that is not its own.
 */

/** Always removed before the origin is asked. */
export const HOP_BY_HOP: readonly string[] = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-authorization",
  "proxy-authenticate",
];

// RFC 9110 token: anything else is not a header name (and Headers.delete would throw).
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const EXCEPT_UPGRADE = HOP_BY_HOP.filter((h) => h !== "upgrade" && h !== "connection");

/**
 * The request headers to remove, given the client's `Connection` and `Upgrade` values: the
 * fixed list plus every valid name `Connection` lists. A WebSocket handshake keeps
 * `Upgrade` and `Connection` (and what they list): workerd proxies the upgrade itself, and
 * stripping them would turn it into a plain GET.
 */
export function hopByHopNames(connection: string | null, upgrade: string | null): readonly string[] {
  if (upgrade !== null && upgrade.toLowerCase() === "websocket") return EXCEPT_UPGRADE;
  if (connection === null) return HOP_BY_HOP;
  const names = [...HOP_BY_HOP];
  for (const name of connection.split(",")) {
    const n = name.trim();
    if (TOKEN.test(n)) names.push(n.toLowerCase());
  }
  return names;
}
