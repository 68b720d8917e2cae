/**
 * Checks of the options of the issuing functions. Each error is a RangeError whose message starts
 * with `what` (for example "Cannot issue server certificate") and names the option and the value.
 *
 * @module
 */

import { parseIp } from "./ip.ts";
import { DEFAULT_ALGORITHM, KEY_ALGORITHMS, type KeyAlgorithm } from "./types.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
/** notBefore is back-dated by this much so that peers with slightly slow clocks accept new certificates. */
const CLOCK_SKEW_MS = 60 * 1000;
/** The last instant a 4-digit GeneralizedTime can express. */
const LATEST_NOT_AFTER_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

/** `algorithm`, or the default when undefined. */
export function checkAlgorithm(what: string, algorithm: unknown): KeyAlgorithm {
  if (algorithm === undefined) return DEFAULT_ALGORITHM;
  if (!(KEY_ALGORITHMS as readonly unknown[]).includes(algorithm)) {
    throw new RangeError(
      `${what}: algorithm ${JSON.stringify(algorithm)} is not one of ${KEY_ALGORITHMS.join(", ")}`,
    );
  }
  return algorithm as KeyAlgorithm;
}

/** `now` in milliseconds since the epoch. */
export function checkDate(what: string, now: unknown): number {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new RangeError(`${what}: now ${String(now)} is not a valid Date`);
  }
  return now.getTime();
}

/**
 * The validity window of a new certificate: notBefore a minute before `now` (whole seconds),
 * notAfter `validityDays` after it.
 */
export function validityWindow(
  what: string,
  now: Date | undefined,
  validityDays: number,
): { now: Date; notBefore: Date; notAfter: Date } {
  const at = now === undefined ? Date.now() : checkDate(what, now);
  if (typeof validityDays !== "number" || !Number.isFinite(validityDays) || validityDays <= 0) {
    throw new RangeError(`${what}: validityDays ${String(validityDays)} is not a positive number`);
  }
  // X.509 times have whole seconds; rounding here keeps what we compute equal to what is read back.
  const start = Math.floor(at / 1000) * 1000;
  const end = start + Math.round(validityDays * DAY_MS / 1000) * 1000;
  if (end > LATEST_NOT_AFTER_MS) {
    throw new RangeError(`${what}: validityDays ${validityDays} ends after the year 9999`);
  }
  if (end <= start) {
    throw new RangeError(`${what}: validityDays ${validityDays} is shorter than a second`);
  }
  return { now: new Date(at), notBefore: new Date(start - CLOCK_SKEW_MS), notAfter: new Date(end) };
}

/** A checked subject name: its common name (CN) and organizations (O). */
export interface SubjectName {
  commonName: string;
  organizations: string[];
}

/**
 * Checks a subject's CN and O entries. The certificate builder encodes O first, then CN, as
 * Kubernetes' own certificates do (see `encodeName` in certificate.ts).
 */
export function subjectName(what: string, commonName: unknown, organizations: unknown): SubjectName {
  if (typeof commonName !== "string" || commonName.trim() === "") {
    throw new RangeError(`${what}: commonName ${JSON.stringify(commonName)} is empty`);
  }
  checkNameText(what, "commonName", commonName);
  if (organizations !== undefined && !Array.isArray(organizations)) {
    throw new RangeError(
      `${what}: organizations ${JSON.stringify(organizations)} is not an array of strings`,
    );
  }
  const orgs = (organizations ?? []) as unknown[];
  for (const org of orgs) {
    if (typeof org !== "string" || org.trim() === "") {
      throw new RangeError(`${what}: organizations entry ${JSON.stringify(org)} is empty`);
    }
    checkNameText(what, "organizations entry", org);
  }
  return { commonName, organizations: [...orgs as string[]] };
}

function checkNameText(what: string, field: string, value: string): void {
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new RangeError(`${what}: ${field} ${JSON.stringify(value)} contains control characters`);
  }
}

const DNS_LABEL = "[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?";
const DNS_NAME = new RegExp(`^(?:\\*\\.)?${DNS_LABEL}(?:\\.${DNS_LABEL})*$`, "i");

/** A DNS subject alternative name, lowercased. */
export function checkDnsName(what: string, name: unknown): string {
  if (typeof name !== "string" || name === "") {
    throw new RangeError(`${what}: dnsNames entry ${JSON.stringify(name)} is empty`);
  }
  if (parseIp(name) !== undefined) {
    throw new RangeError(
      `${what}: dnsNames entry "${name}" is an IP address; put it in ipAddresses, clients match IPs only there`,
    );
  }
  if (name.length > 253 || !DNS_NAME.test(name)) {
    throw new RangeError(`${what}: dnsNames entry ${JSON.stringify(name)} is not a valid DNS name`);
  }
  return name.toLowerCase();
}

/** Validates an IP address and returns it in full form (no "::" shorthand). */
export function checkIpAddress(what: string, ip: unknown): string {
  const bytes = typeof ip === "string" ? parseIp(ip) : undefined;
  if (!bytes) {
    throw new RangeError(`${what}: ipAddresses entry ${JSON.stringify(ip)} is not an IPv4 or IPv6 address`);
  }
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(":");
}
