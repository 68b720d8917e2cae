/**
 * Loads `@peculiar/x509` (and the `reflect-metadata` polyfill it needs) on first use.
 *
 * Both are heavy to import (`reflect-metadata` alone adds about 13 MiB of RSS), and an operator
 * without any mTLS Replicator never reads a certificate. Issuing does not need them at all
 * (certificates are built by `certificate.ts`); only reading a certificate (`read.ts`) and issuing
 * with a CA given as PEM that this process did not make (`issue.ts` parses and checks it) call
 * {@linkcode loadX509}. No module of `lib/pki/` imports them statically: the type-only imports are
 * erased at run time.
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
