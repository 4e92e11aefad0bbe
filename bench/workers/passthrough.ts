import { originUrl, type WorkerModule } from "./runtime.js";

/**
 * The floor any proxying worker pays: forward the request to the origin unchanged and
 * return the origin's response unchanged.
 */
export default {
  fetch(request, env) {
    return fetch(originUrl(env["ORIGIN_URL"] as string, request.url), request);
  },
} satisfies WorkerModule;
