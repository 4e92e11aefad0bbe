import { coreCases, type CoreCase } from "../lib/core-cases.js";

/**
 * The core micro-bench inside workerd. `GET /?case=<i>&k=<K>` runs case i K times and
 * answers; `case=-1` runs an empty operation K times (the loop and request overhead the
 * bench subtracts); `GET /cases` lists the case names. Timed from outside because workerd
 * freezes the clock during execution (Spectre mitigation).
 */

let cases: CoreCase[] | null = null;
const noop = (): unknown => 0;

export default {
  fetch(request: Request): Response {
    // Built on the first request: random values are not available at global scope.
    cases ??= coreCases();
    const url = new URL(request.url);
    if (url.pathname === "/cases") return Response.json(cases.map((c) => ({ name: c.name, group: c.group, experiments: c.experiments ?? null })));
    const index = Number(url.searchParams.get("case") ?? "-1");
    const k = Number(url.searchParams.get("k") ?? "1");
    const run = index < 0 ? noop : cases[index]?.run;
    if (run === undefined) return new Response("no such case\n", { status: 404 });
    let sink: unknown;
    for (let i = 0; i < k; i++) sink = run();
    return new Response(String(typeof sink));
  },
};
