/**
 * Key pairs: generating them, exporting and importing private keys as PKCS#8 PEM, and the
 * signature algorithm that goes with a key. Web Crypto only; no @peculiar/x509.
 *
 * @module
 */

import { checkAlgorithm } from "./checks.ts";
import { pemBlocks, pemEncode } from "./pem.ts";
import type { KeyAlgorithm, KeyPairPem } from "./types.ts";

/**
 * Generates a key pair, as for kube-apiserver's `--service-account-signing-key-file` (private)
 * and `--service-account-key-file` (public).
 *
 * @example
 * ```ts
 * const { privateKeyPem, publicKeyPem } = await generateKeyPairPem("rsa-2048");
 * ```
 *
 * @param algorithm Key algorithm. Default "ecdsa-p256".
 * @throws {RangeError} if `algorithm` is not a {@linkcode KeyAlgorithm}.
 */
export async function generateKeyPairPem(algorithm?: KeyAlgorithm): Promise<KeyPairPem> {
  const keys = await generateKeys(checkAlgorithm("Cannot generate key pair", algorithm));
  return {
    privateKeyPem: await privateKeyPem(keys.privateKey),
    publicKeyPem: pemEncode(
      new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey)),
      "PUBLIC KEY",
    ),
  };
}

/** A new extractable signing key pair of `algorithm`. */
export async function generateKeys(algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  const params: RsaHashedKeyGenParams | EcKeyGenParams = algorithm === "ecdsa-p256"
    ? { name: "ECDSA", namedCurve: "P-256" }
    : {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: algorithm === "rsa-2048" ? 2048 : 3072,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    };
  return await crypto.subtle.generateKey(params, true, ["sign", "verify"]) as CryptoKeyPair;
}

/** A private key as one PKCS#8 PEM "PRIVATE KEY" block. */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  return pemEncode(new Uint8Array(await crypto.subtle.exportKey("pkcs8", key)), "PRIVATE KEY");
}

/**
 * Imports the PKCS#8 "PRIVATE KEY" block of `pem` as a signing key. Errors start with `what` and
 * name only the PEM labels found, never key bytes.
 */
export async function importPrivateKey(
  what: string,
  pem: unknown,
  algorithm: RsaHashedImportParams | EcKeyImportParams,
): Promise<CryptoKey> {
  if (typeof pem !== "string") throw new TypeError(`${what} is not a PEM string`);
  // Only the labels are reported, never the block contents.
  const blocks = pemBlocks(pem);
  const block = blocks.find((b) => b.label === "PRIVATE KEY");
  if (!block) {
    const labels = blocks.map((b) => b.label);
    const hint = labels.includes("RSA PRIVATE KEY") || labels.includes("EC PRIVATE KEY")
      ? " (convert it with `openssl pkcs8 -topk8 -nocrypt`)"
      : "";
    throw new Error(
      `${what} has no PKCS#8 "PRIVATE KEY" PEM block (found ${
        labels.length ? labels.map((l) => `"${l}"`).join(", ") : "no PEM blocks"
      })${hint}`,
    );
  }
  if (block.der === undefined) {
    throw new Error(`${what} has a "PRIVATE KEY" PEM block that is not valid base64`);
  }
  try {
    return await crypto.subtle.importKey("pkcs8", block.der, algorithm, false, ["sign"]);
  } catch {
    // The cause is deliberately dropped: it is about key bytes.
    throw new Error(`${what} is not a valid PKCS#8 ${algorithm.name} private key`);
  }
}

/** A key's Web Crypto algorithm, as far as choosing a signature algorithm needs it. */
export type KeyAlgorithmLike = { name: string; namedCurve?: string };

/** The signature algorithm Go would pick for a key: SHA-256 for RSA and P-256, bigger hashes for bigger curves. */
export function signingAlgorithmFor(keyAlgorithm: KeyAlgorithmLike): Algorithm | EcdsaParams {
  if (keyAlgorithm.name === "ECDSA") {
    const hash = keyAlgorithm.namedCurve === "P-384"
      ? "SHA-384"
      : keyAlgorithm.namedCurve === "P-521"
      ? "SHA-512"
      : "SHA-256";
    return { name: "ECDSA", hash } as EcdsaParams;
  }
  return { name: "RSASSA-PKCS1-v1_5" };
}
