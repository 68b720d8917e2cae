/**
 * Base64 as Kubernetes uses it (Secret `data`, kubeconfig `*-data`): standard alphabet, padded. Built
 * on `Uint8Array.fromBase64`/`toBase64`, which Deno's V8 provides.
 *
 * @module
 */

/** Base64 of bytes. */
export function encodeBase64(bytes: Uint8Array): string {
  return bytes.toBase64();
}

/**
 * Bytes of base64 text; white space (line breaks in a pasted value) is ignored.
 *
 * @throws {SyntaxError} When the text is not base64.
 */
export function decodeBase64(text: string): Uint8Array {
  return Uint8Array.fromBase64(text.replace(/\s+/g, ""));
}

/** Base64 of the UTF-8 bytes of `text`, as Secret `data` wants. */
export function encodeBase64Text(text: string): string {
  return encodeBase64(new TextEncoder().encode(text));
}

/**
 * UTF-8 text of base64.
 *
 * @throws {SyntaxError} When the text is not base64.
 * @throws {TypeError} When the bytes are not UTF-8 (`fatal` decoding).
 */
export function decodeBase64Text(text: string): string {
  return new TextDecoder("utf-8", { fatal: true }).decode(decodeBase64(text));
}
