/**
 * The product's version (package.json's), reported on the status endpoint and sent as the
 * config poll's `User-Agent: edge-enrollment/<version>` (contract §1), so operators on both
 * sides can tell deploys apart. A test keeps it equal to package.json.
 */
export const WORKER_VERSION = "0.1.0";
