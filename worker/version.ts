/** Reported on the status endpoint and in the poller's User-Agent, so operators can tell deploys apart. */
export const WORKER_VERSION = "0.1.0";
