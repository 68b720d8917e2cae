/**
 * Loads `@peculiar/x509` (and the `reflect-metadata` polyfill it needs) on first use.
 *
 * Both are heavy to import (`reflect-metadata` alone adds about 13 MiB of RSS), and an operator
 * without any mTLS Replicator never builds or reads a certificate. So no module of `lib/pki/`
 * imports them statically: only functions that issue or read certificates call
 * {@linkcode loadX509}, and the type-only imports are erased at run time.
 *
 * @module
 */

import type * as X509 from "@peculiar/x509";

/** The `@peculiar/x509` module. */
export type X509Module = typeof X509;

/**
 * The `@peculiar/x509` module, imported (after `reflect-metadata`) by the first call; later calls
 * get the module the runtime has already evaluated.
 */
export async function loadX509(): Promise<X509Module> {
  // The decorators of @peculiar/x509 need the Reflect metadata API installed first.
  await import("reflect-metadata");
  return await import("@peculiar/x509");
}
