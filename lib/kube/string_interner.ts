/**
 * One copy of each long string held by caches: `JSON.parse` makes a new string for every value of every
 * response, so the same content cached in three clusters (a certificate in a Secret, a Deployment's
 * init script, a ConfigMap's file) and in every Replicator made from one template is held once per
 * object. {@linkcode StringInterner.internStrings} replaces each long string value of a parsed object by
 * the first copy of that content it saw.
 *
 * The table keeps strings by content for two generations of at most `maxChars` characters each: once the
 * current generation is full it becomes the previous one and the older one is dropped, so a string not
 * met again for a generation is forgotten (it is then held only by the objects that hold it, and a later
 * copy becomes the kept one). The table alone thus keeps at most `2 x maxChars` characters of strings no
 * object holds any more (a renewed certificate's old content, until two generations later). Forgetting
 * only loses sharing, never correctness: an interned string has the same content.
 *
 * @module
 */

/** Options of {@linkcode StringInterner}. */
export interface StringInternerOptions {
  /**
   * Strings shorter than this (UTF-16 code units) are left as they are (default 16: the primary's
   * identity and a Replicator's UID in every object's labels are 36, an intent hash in three clusters'
   * copies ~24; shorter strings cost about as much in the table as a copy).
   */
  minLength?: number;
  /** Characters of one generation of the table (default 4 Mi: 200 Replicators' distinct long strings fit). */
  maxChars?: number;
}

/** Shares one copy of each long string value among the objects it is given. */
export class StringInterner {
  readonly #minLength: number;
  readonly #maxChars: number;
  #current = new Map<string, string>();
  #currentChars = 0;
  #previous = new Map<string, string>();

  constructor(options: StringInternerOptions = {}) {
    this.#minLength = options.minLength ?? 16;
    this.#maxChars = options.maxChars ?? 4 * 1024 * 1024;
  }

  /** Distinct strings the table holds now (both generations). */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  /** The kept copy of `value` (long strings), `value` itself otherwise. */
  intern(value: string): string {
    if (value.length < this.#minLength) return value;
    const kept = this.#current.get(value);
    if (kept !== undefined) return kept;
    const older = this.#previous.get(value);
    const result = older ?? value;
    if (older !== undefined) this.#previous.delete(value);
    if (this.#currentChars + value.length > this.#maxChars && this.#current.size > 0) {
      this.#previous = this.#current;
      this.#current = new Map();
      this.#currentChars = 0;
    }
    this.#current.set(result, result);
    this.#currentChars += value.length;
    return result;
  }

  /**
   * Replaces, in place, every long string value in `object` (nested objects and arrays too; keys are
   * left as they are) by its kept copy. Returns `object`.
   */
  internStrings<T>(object: T): T {
    this.#walk(object as unknown);
    return object;
  }

  #walk(node: unknown): void {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v = node[i];
        if (typeof v === "string") {
          if (v.length >= this.#minLength) node[i] = this.intern(v);
        } else if (typeof v === "object" && v !== null) this.#walk(v);
      }
      return;
    }
    if (typeof node !== "object" || node === null) return;
    const record = node as Record<string, unknown>;
    for (const key in record) {
      const v = record[key];
      if (typeof v === "string") {
        if (v.length >= this.#minLength) record[key] = this.intern(v);
      } else if (typeof v === "object" && v !== null) this.#walk(v);
    }
  }
}
