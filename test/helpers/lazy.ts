/**
 * A value made on first use, then kept. For suite-level fixtures (key rings, compiled
 * configs, minted tokens): made inside the first test that asks, not while the file loads,
 * so `npm run mutate` sees which tests run that code (code run at load is "static" to
 * Stryker, and each mutant in it costs a reload of the test runner).
 */
export function lazy<T>(make: () => T): () => T {
  let made = false;
  let value: T;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value;
  };
}
