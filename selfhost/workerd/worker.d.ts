// The built dist/worker.js, loaded by workerd as the module `worker.js` next to the node's
// own modules (the generator copies it into the profile unchanged; the bundler leaves the
// import external). Its type is the source's default export.
declare const worker: (typeof import("../../worker/index.js"))["default"];
export default worker;
