/**
 * Plain-JSON helpers shared by the renderer, the drift comparison and the kubeconfig editor.
 *
 * @module
 */

/**
 * JSON with object keys sorted and `undefined` members left out, so equal objects serialise equally
 * whatever order the API server returned their keys in.
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: { d: 2, c: undefined } }); // '{"a":{"d":2},"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => [k, o[k]]),
      );
    }
    return v;
  });
}

/**
 * Deep copy through JSON: the output shares nothing with the input and is plain JSON (no `undefined`
 * members) even when a caller built the value in code.
 */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}
