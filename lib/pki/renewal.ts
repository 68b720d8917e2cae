/**
 * When a certificate is due for renewal: after a share (by default 2/3) of its lifetime.
 *
 * @module
 */

import { checkDate } from "./checks.ts";
import { readCertificate } from "./read.ts";
import type { CertificateInfo } from "./types.ts";

const DEFAULT_RENEWAL_FRACTION = 2 / 3;

/**
 * Tells whether a certificate is due for renewal: true once `fraction` of its lifetime
 * (notBefore to notAfter) has passed, and so also once it has expired.
 *
 * @example
 * ```ts
 * const ca = await createCertificateAuthority({ commonName: "plumber-ca" });
 * if (await needsRenewal(ca.certPem)) {
 *   // issue a new one
 * }
 * ```
 *
 * @param pemOrInfo A PEM certificate or what `readCertificate` returned for it.
 * @param now The current time. Default `new Date()`.
 * @param fraction Share of the lifetime after which to renew, in (0, 1]. Default 2/3.
 * @throws {RangeError} if `fraction` or `now` is invalid (as a rejection).
 * @throws {Error} if the PEM does not parse (as a rejection).
 */
export async function needsRenewal(
  pemOrInfo: string | CertificateInfo,
  now: Date = new Date(),
  fraction: number = DEFAULT_RENEWAL_FRACTION,
): Promise<boolean> {
  const at = checkDate("Cannot check certificate renewal", now);
  return at >= (await renewalTime(pemOrInfo, fraction)).getTime();
}

/**
 * When a certificate becomes due for renewal: notBefore plus `fraction` of its lifetime. Useful as
 * a requeue time for a controller.
 *
 * @example
 * ```ts
 * const ca = await createCertificateAuthority({ commonName: "plumber-ca" });
 * const requeueAfterMs = Math.max(0, (await renewalTime(ca.certPem)).getTime() - Date.now());
 * ```
 *
 * @param pemOrInfo A PEM certificate or what `readCertificate` returned for it.
 * @param fraction Share of the lifetime after which to renew, in (0, 1]. Default 2/3.
 * @throws {RangeError} if `fraction` is invalid (as a rejection).
 * @throws {Error} if the PEM does not parse (as a rejection).
 */
export async function renewalTime(
  pemOrInfo: string | CertificateInfo,
  fraction: number = DEFAULT_RENEWAL_FRACTION,
): Promise<Date> {
  if (typeof fraction !== "number" || !(fraction > 0 && fraction <= 1)) {
    throw new RangeError(`Cannot compute renewal time: fraction ${fraction} is not in (0, 1]`);
  }
  const info = typeof pemOrInfo === "string" ? await readCertificate(pemOrInfo) : pemOrInfo;
  return renewalTimeOf(info, fraction);
}

/**
 * The rule of {@linkcode renewalTime} on a validity window already known (for example returned by
 * `issueServer`): notBefore plus `fraction` of the lifetime. Synchronous, parses nothing.
 *
 * @throws {RangeError} if `fraction` is invalid.
 */
export function renewalTimeOf(
  window: { notBefore: Date; notAfter: Date },
  fraction: number = DEFAULT_RENEWAL_FRACTION,
): Date {
  if (typeof fraction !== "number" || !(fraction > 0 && fraction <= 1)) {
    throw new RangeError(`Cannot compute renewal time: fraction ${fraction} is not in (0, 1]`);
  }
  const start = window.notBefore.getTime();
  const end = window.notAfter.getTime();
  if (fraction === 1) return new Date(end);
  return new Date(start + Math.floor((end - start) * fraction));
}
