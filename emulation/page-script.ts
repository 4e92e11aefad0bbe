/**
 * The JavaScript the emulated wiki page runs in the browser, kept as plain JS source (not
 * compiled TypeScript) so what the browser executes is exactly what is tested here.
 *
 * It reads the navigation entry's Server-Timing the way the wiki's JS SDK does
 * (ext.testKitchen `enrollmentConfig.js`): the entry named `WMF-Uniq` (the last one wins),
 * its `description` parsed by a two-state scanner, `name=group;` repeated; any stray `=` or
 * `;`, or a trailing partial pair, throws and the SDK then treats the visitor as enrolled in
 * nothing. Written independently from that description, not copied.
 */

/** Defines `parseWmfUniqDescription(raw)`: `{exp: group}` or throws like the SDK. */
export const SDK_PARSER_SOURCE = String.raw`
function parseWmfUniqDescription(raw) {
  var out = {};
  var inGroup = false;
  var name = "";
  var buf = "";
  for (var i = 0; i < raw.length; i++) {
    var c = raw.charAt(i);
    if (c === "=") {
      if (inGroup) throw new Error("unexpected '=' in a group name at " + i);
      name = buf;
      buf = "";
      inGroup = true;
    } else if (c === ";") {
      if (!inGroup) throw new Error("unexpected ';' in an experiment name at " + i);
      out[name] = buf;
      buf = "";
      name = "";
      inGroup = false;
    } else {
      buf += c;
    }
  }
  if (inGroup || buf !== "") throw new Error("unexpected end of the description");
  return out;
}
`;

/**
 * The page's behaviour. Expects `window.emulation = { origin: {...}, eventsPath }` to be
 * set by an earlier inline script; adds `window.emulation.browser` and
 * `window.sendTestEvent(nonce)` (returns the HTTP status), which the browser test uses.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  "use strict";
  ${SDK_PARSER_SOURCE}
  var emu = window.emulation;
  var nav = performance.getEntriesByType("navigation")[0];
  var raw = null;
  var entries = nav && nav.serverTiming ? nav.serverTiming : [];
  for (var i = 0; i < entries.length; i++) {
    if (entries[i].name === "WMF-Uniq") raw = entries[i].description;
  }
  var groups = {};
  var error = null;
  try {
    groups = parseWmfUniqDescription(raw === null ? "" : raw);
  } catch (e) {
    error = e.message;
  }
  emu.browser = {
    raw: raw,
    groups: groups,
    error: error,
    secureContext: window.isSecureContext,
    serverTimingNames: entries.map(function (e) { return e.name; })
  };

  function el(id) { return document.getElementById(id); }
  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }

  el("browser-raw").textContent = raw === null ? "(no WMF-Uniq entry)" : JSON.stringify(raw);
  el("secure-context").textContent = window.isSecureContext ? "yes" : "NO (Server-Timing is hidden outside secure contexts)";
  var originGroups = {};
  (emu.origin.pairs || []).forEach(function (p) { originGroups[p.experiment] = p.group; });
  var body = el("browser-groups");
  var names = Object.keys(groups);
  if (error) {
    el("browser-note").textContent = "The SDK would reject this description (" + error + ") and see no enrollments.";
  } else if (names.length === 0) {
    el("browser-note").textContent = "Not enrolled in any experiment on this host.";
  }
  names.forEach(function (name) {
    var tr = document.createElement("tr");
    cell(tr, name);
    cell(tr, groups[name]);
    if (Object.prototype.hasOwnProperty.call(originGroups, name)) {
      cell(tr, originGroups[name] === groups[name] ? "same group at the origin" : "MISMATCH: origin rendered " + originGroups[name], originGroups[name] === groups[name] ? "ok" : "bad");
    } else {
      cell(tr, "not sent to the origin (cache_split: false, or a mix-up)", "muted");
    }
    body.appendChild(tr);
  });

  var port = location.port ? ":" + location.port : "";
  var other = location.hostname.indexOf("de.") === 0 ? "en" + location.hostname.slice(2) : "de" + location.hostname.slice(2);
  el("other-wiki").href = "http://" + other + port + "/wiki/Main_Page";
  el("other-wiki").textContent = other + port;

  window.sendTestEvent = function (nonce) {
    var result = el("event-result");
    result.textContent = "sending...";
    var payload = {
      $schema: "/analytics/product_metrics/web/base/1.4.2",
      action: "click",
      action_source: "emulation-button",
      page_title: document.title,
      host: location.host,
      browser_groups: groups,
      nonce: nonce,
      dt: new Date().toISOString()
    };
    return fetch(emu.eventsPath, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload)
    }).then(function (r) {
      result.textContent = r.status === 204
        ? "204 from the edge: not forwarded (no valid cookie, or no live experiment on this host)"
        : r.status + " from the origin (nonce " + nonce + ")";
      return r.status;
    }, function (e) {
      result.textContent = "failed: " + e.message;
      throw e;
    });
  };
  el("send-event").addEventListener("click", function () {
    window.sendTestEvent(Math.random().toString(36).slice(2, 10));
  });
})();
`;
