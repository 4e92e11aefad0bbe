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
 * The page's behaviour. Expects `window.emulation = { origin: {...}, eventsPath, names }` to
 * be set by an earlier inline script; adds `window.emulation.browser`,
 * `window.sendTestEvent(nonce)` (returns the HTTP status), and for the emulated country
 * `window.emulation.askEdge(country)` and `window.emulation.asked` (a promise of the last
 * answer, null when nothing is chosen), which the browser test uses.
 *
 * Choosing a country: the worker reads it from a header (emulation only), and a browser
 * cannot add a header to its own navigation, so the choice is kept in a cookie and the
 * script asks the edge again with fetch(), adding the header, for the same page with
 * `?emulation=context` (the origin then answers that request's own context as JSON, never
 * cached). The groups come from that response's Server-Timing, read like the SDK reads it.
 * The "logged in" toggle sets a session cookie and asks again the same way.
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

  // The emulated country (emulation only): a cookie holds the choice, fetch() sends the header.
  var names = emu.names;
  function readCookie(name) {
    var parts = document.cookie.split(";");
    for (var k = 0; k < parts.length; k++) {
      var part = parts[k].trim();
      if (part.indexOf(name + "=") === 0) return decodeURIComponent(part.slice(name.length + 1));
    }
    return null;
  }
  function writeCookie(name, value) {
    var text = name + "=" + (value === null ? "" : encodeURIComponent(value)) + "; path=/; SameSite=Lax" + (value === null ? "; max-age=0" : "");
    // One choice for every wiki (the parent domain, as the edge's own cookie), else this host only.
    var labels = location.hostname.split(".");
    if (labels.length >= 3) document.cookie = text + "; domain=" + labels.slice(1).join(".");
    if ((readCookie(name) !== null) !== (value !== null)) document.cookie = text;
  }
  function wmfUniqOf(header) {
    // The last WMF-Uniq entry of a Server-Timing value; its desc is quoted and holds no quotes.
    var re = /(?:^|,)\s*WMF-Uniq\s*;\s*desc="([^"]*)"/g;
    var m;
    var found = null;
    while ((m = re.exec(header || "")) !== null) found = m[1];
    return found;
  }
  function showAsCountry(result) {
    var box = el("as-country");
    box.textContent = "";
    if (result === null) return;
    var p = document.createElement("p");
    if (result.error !== null && result.context === undefined) {
      p.className = "bad";
      p.textContent = "Asking the edge again failed: " + result.error;
      box.appendChild(p);
      return;
    }
    var c = result.context;
    p.innerHTML = "<b></b>";
    p.firstChild.textContent = "Asked again (fetch() " + (result.country === null ? "without a country header" : "with " + names.countryHeader + ": " + result.country) + "), the edge computed";
    p.appendChild(document.createTextNode(
      " country=" + c.country + ", platform=" + c.platform + ", language=" + JSON.stringify(c.language) + ", loggedIn=" + c.loggedIn +
      (result.crawler ? " (a crawler User-Agent: no enrollment without a valid cookie)" : "") +
      "; the origin received X-Experiment-Enrollments: " + (result.enrollments === null ? "(absent)" : result.enrollments)));
    box.appendChild(p);
    var table = document.createElement("table");
    table.id = "as-country-groups";
    var head = document.createElement("tr");
    ["experiment", "group", "compared with this page"].forEach(function (t) {
      var th = document.createElement("th");
      th.textContent = t;
      head.appendChild(th);
    });
    table.appendChild(head);
    var names2 = Object.keys(result.groups);
    names2.forEach(function (name) {
      var tr = document.createElement("tr");
      cell(tr, name);
      cell(tr, result.groups[name]);
      cell(tr, Object.prototype.hasOwnProperty.call(groups, name) ? (groups[name] === result.groups[name] ? "same as this page" : "this page: " + groups[name]) : "not in this page's groups", Object.prototype.hasOwnProperty.call(groups, name) ? "muted" : "ok");
      table.appendChild(tr);
    });
    if (names2.length === 0) {
      var tr = document.createElement("tr");
      cell(tr, result.error ? "the SDK would reject this description (" + result.error + ")" : "not enrolled in any experiment", "muted");
      table.appendChild(tr);
    }
    box.appendChild(table);
  }
  emu.asCountry = null;
  emu.askEdge = function (country) {
    var headers = {};
    if (country !== null) headers[names.countryHeader] = country;
    return fetch(location.pathname + "?emulation=context", { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        return r.json().then(function (body) {
          var rawAs = wmfUniqOf(r.headers.get("server-timing"));
          var groupsAs = {};
          var errorAs = null;
          try {
            groupsAs = parseWmfUniqDescription(rawAs === null ? "" : rawAs);
          } catch (e) {
            errorAs = e.message;
          }
          return { country: country, raw: rawAs, groups: groupsAs, error: errorAs, context: body.context, crawler: body.crawler, enrollments: body.enrollments };
        });
      })
      .then(null, function (e) {
        return { country: country, raw: null, groups: {}, error: e.message };
      })
      .then(function (result) {
        emu.asCountry = result;
        showAsCountry(result);
        return result;
      });
  };
  function markChosen(country) {
    var buttons = document.querySelectorAll("button[data-country]");
    for (var b = 0; b < buttons.length; b++) {
      buttons[b].style.fontWeight = buttons[b].getAttribute("data-country") === (country || "") ? "bold" : "";
    }
  }
  // Asks again when something is chosen; otherwise the navigation above says it all.
  function askAgain() {
    var country = readCookie(names.countryCookie);
    var loggedIn = readCookie(names.sessionCookie) !== null;
    markChosen(country);
    el("toggle-login").textContent = loggedIn ? "log out (remove " + names.sessionCookie + ")" : "pretend to be logged in";
    if (country === null && !loggedIn) {
      emu.asCountry = null;
      showAsCountry(null);
      emu.asked = Promise.resolve(null);
    } else {
      emu.asked = emu.askEdge(country);
    }
    return emu.asked;
  }
  Array.prototype.forEach.call(document.querySelectorAll("button[data-country]"), function (button) {
    button.addEventListener("click", function () {
      writeCookie(names.countryCookie, button.getAttribute("data-country") || null);
      askAgain();
    });
  });
  el("toggle-login").addEventListener("click", function () {
    writeCookie(names.sessionCookie, readCookie(names.sessionCookie) !== null ? null : "emulated");
    askAgain();
  });
  askAgain();

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
