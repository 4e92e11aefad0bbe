import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The one local origin every variant proxies to: a Node keep-alive HTTP server answering
 * a small fixed HTML page at every path (with `</head>`, so the GrowthBook edge app has
 * somewhere to inject), and at ARTICLE_PATH an article-sized one, both with
 * `Vary: X-Experiment-Enrollments, Accept-Encoding` (so our worker's Vary rewrite runs).
 * It keeps the headers of the last request for the bench's sanity checks.
 */

export const ORIGIN_BODY =
  "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Bench page</title></head>" +
  "<body><main><h1>Bench page</h1><p>A small fixed page from the local origin.</p></main></body></html>\n";

/** The realistic page: a wiki article's worth of HTML (ARTICLE_BODY, over 60 KB). */
export const ARTICLE_PATH = "/wiki/Bench_article";

/**
 * A deterministic article shaped like a wiki page view: a head with metadata, styles and
 * scripts, then an infobox, sections of linked prose, a table and references, about 80 KB
 * (a mid-sized article's HTML; Wikipedia's median page view is larger).
 */
export const ARTICLE_BODY = articleHtml(71 * 1024);

function articleHtml(targetBytes: number): string {
  const head =
    '<!DOCTYPE html>\n<html class="client-nojs" lang="en" dir="ltr">\n<head>\n<meta charset="UTF-8">\n<title>Bench article - Wikipedia</title>\n' +
    '<script>document.documentElement.className="client-js";RLCONF={"wgPageName":"Bench_article","wgTitle":"Bench article","wgNamespaceNumber":0,"wgAction":"view"};RLSTATE={"site.styles":"ready","user.styles":"ready"};RLPAGEMODULES=["ext.cite.ux-enhancements","site","mediawiki.page.ready","skins.vector.js"];</script>\n' +
    '<link rel="stylesheet" href="/w/load.php?lang=en&amp;modules=ext.cite.styles%7Cskins.vector.styles&amp;only=styles&amp;skin=vector-2022">\n' +
    '<script async="" src="/w/load.php?lang=en&amp;modules=startup&amp;only=scripts&amp;raw=1&amp;skin=vector-2022"></script>\n' +
    '<meta name="viewport" content="width=1120">\n<link rel="canonical" href="https://en.wikipedia.org/wiki/Bench_article">\n</head>\n' +
    '<body class="skin-vector skin-vector-2022 mediawiki ltr sitedir-ltr ns-0 ns-subject page-Bench_article rootpage-Bench_article action-view">\n' +
    '<div class="mw-page-container"><main id="content" class="mw-body"><h1 id="firstHeading" class="firstHeading mw-first-heading"><span class="mw-page-title-main">Bench article</span></h1>\n' +
    '<div id="bodyContent" class="vector-body"><div id="mw-content-text" class="mw-body-content"><div class="mw-content-ltr mw-parser-output" lang="en" dir="ltr">\n' +
    '<table class="infobox vcard"><tbody><tr><th colspan="2" class="infobox-above">Bench article</th></tr>' +
    '<tr><th scope="row" class="infobox-label">Type</th><td class="infobox-data">Benchmark fixture</td></tr>' +
    '<tr><th scope="row" class="infobox-label">Size</th><td class="infobox-data">About 80 KB</td></tr></tbody></table>\n';
  const tail =
    '</div></div></div></main></div>\n<footer id="footer" class="mw-footer"><ul id="footer-info"><li id="footer-info-lastmod">This page was last edited on 1 December 2026.</li></ul></footer>\n' +
    '<script>(RLQ=window.RLQ||[]).push(function(){mw.config.set({"wgBackendResponseTime":120});});</script>\n</body>\n</html>\n';
  const words = ["experiment", "visitor", "bucket", "edge", "cache", "origin", "cookie", "header", "group", "config", "rule", "allocation", "subject", "enrollment", "variant", "request"];
  let body = "";
  let n = 0;
  const cites: string[] = [];
  while (head.length + body.length + tail.length < targetBytes) {
    if (n % 8 === 0) body += `<div class="mw-heading mw-heading2"><h2 id="Section_${n / 8 + 1}">Section ${n / 8 + 1}</h2></div>\n`;
    let p = "<p>";
    for (let w = 0; w < 60; w++) {
      const word = words[(n * 7 + w * 3) % words.length]!;
      p += w % 9 === 4 ? `<a href="/wiki/${word[0]!.toUpperCase()}${word.slice(1)}" title="${word}">${word}</a> ` : `${word} `;
    }
    p += `<sup id="cite_ref-${n}" class="reference"><a href="#cite_note-${n}">[${n + 1}]</a></sup></p>\n`;
    body += p;
    cites.push(`<li id="cite_note-${n}"><span class="reference-text">Reference ${n + 1}, <i>Bench Journal</i> ${2000 + (n % 27)}.</span></li>`);
    if (n % 16 === 15) {
      body += '<table class="wikitable"><tbody><tr><th>Group</th><th>Range</th></tr><tr><td>control</td><td>0–49999</td></tr><tr><td>treatment</td><td>50000–99999</td></tr></tbody></table>\n';
    }
    n++;
  }
  return head + body + `<div class="reflist"><ol class="references">${cites.join("")}</ol></div>\n` + tail;
}

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
  const article = Buffer.from(ARTICLE_BODY);
  let count = 0;
  let last: IncomingHttpHeaders | null = null;
  const server: Server = createServer((req, res) => {
    count++;
    last = req.headers;
    req.resume();
    const page = req.url === ARTICLE_PATH ? article : body;
    res.writeHead(200, {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Length": page.length,
      Vary: "X-Experiment-Enrollments, Accept-Encoding",
      "Cache-Control": "private, s-maxage=0, max-age=0, must-revalidate",
    });
    res.end(page);
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
