import { describe, expect, it } from "vitest";
import { HOP_BY_HOP, hopByHopNames } from "../../src/hop-by-hop.js";

describe("hop-by-hop headers (RFC 9110 §7.6.1)", () => {
  it("the fixed list names every connection-level header, TE and Trailer included", () => {
    expect([...HOP_BY_HOP].sort()).toEqual(
      ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"],
    );
  });

  it("without Connection, exactly the fixed list is removed", () => {
    expect(hopByHopNames(null, null)).toEqual(HOP_BY_HOP);
  });

  it("every valid name Connection lists is removed too, lower-cased", () => {
    expect(hopByHopNames("close, X-Secret ,Keep-Alive", null)).toEqual([...HOP_BY_HOP, "close", "x-secret", "keep-alive"]);
  });

  it.each([["x y"], ["a/b"], [""], ["é"], ["x\ty"]])("a Connection token that is not a header name (%j) is skipped, not fatal", (token) => {
    expect(hopByHopNames(`close, ${token}`, null)).toEqual([...HOP_BY_HOP, "close"]);
  });

  it.each([["websocket"], ["WebSocket"]])("a WebSocket handshake (Upgrade: %s) keeps Upgrade and Connection, and what Connection lists", (upgrade) => {
    const names = hopByHopNames("Upgrade, X-Kept", upgrade);
    expect([...names].sort()).toEqual(["keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding"]);
  });

  it("any other Upgrade is stripped like the rest", () => {
    expect(hopByHopNames("Upgrade", "h2c")).toEqual([...HOP_BY_HOP, "upgrade"]);
  });
});
