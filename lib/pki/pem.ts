/**
 * PEM encoding and decoding, and the hexadecimal form @peculiar/x509 takes for serial numbers and
 * key identifiers.
 *
 * @module
 */

/** One PEM block: its label and its bytes. */
export interface PemBlock {
  label: string;
  /** Undefined when the body is not valid base64 (or carries encryption headers). */
  der: Uint8Array<ArrayBuffer> | undefined;
}

/** Encodes DER bytes as one PEM block with 64-character lines and a final newline. */
export function pemEncode(der: Uint8Array, label: string): string {
  let binary = "";
  for (const byte of der) binary += String.fromCharCode(byte);
  const base64 = btoa(binary);
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** Every PEM block of a text, in order; text between blocks is skipped. */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const pattern = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (const match of text.matchAll(pattern)) {
    const body = match[2]!.replace(/\s+/g, "");
    let der: Uint8Array<ArrayBuffer> | undefined;
    if (body !== "" && /^[A-Za-z0-9+/]+={0,2}$/.test(body) && body.length % 4 === 0) {
      const binary = atob(body);
      der = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) der[i] = binary.charCodeAt(i);
    }
    blocks.push({ label: match[1]!, der });
  }
  return blocks;
}

/** Bytes as lowercase hexadecimal, two digits a byte. */
export function hex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}
