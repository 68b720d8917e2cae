/**
 * Redaction of secrets in free text before it reaches a log, an event, a status or the
 * terminal: PEM blocks (also base64-encoded), `Bearer` and `Basic` credentials, JWTs,
 * passwords in URLs, `--token=` style flags and the values of keys such as `token`,
 * `password` and `client-key-data`.
 *
 * It must not eat ordinary words: a file path that ends in a secret key's name
 * (`/x/kubeconfig: no such file`) is not a key, and a key followed by prose
 * (`kubeconfig: No such file or directory`) has no secret value.
 *
 * @module
 */

/** What secret values are replaced with. */
export const REDACTED = "REDACTED";

const SECRET_KEYS = [
  "token",
  "id-token",
  "refresh-token",
  "access-token",
  "client-secret",
  "client-key-data",
  "client-certificate-data",
  "certificate-authority-data",
  "password",
  "bearerToken",
  "keyData",
  "certData",
  "caData",
].join("|");

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(?:-----END \1-----|$)/g;
// "-----BEGIN" in base64, at any of the three alignments it can appear in inside *-data.
const BASE64_PEM = /(?:LS0tLS1CRUdJT|0tLS0tQkVHSU|tLS0tLUJFR0lO)[A-Za-z0-9+/=]*/g;
const BEARER = /\b(Bearer\s+)([A-Za-z0-9\-._~+/]+=*)/gi;
const BASIC = /(\bauthorization["']?\s*[:=]\s*["']?Basic)\s+[A-Za-z0-9+/]+=*/gi;
const JWT = /\beyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;
const SECRET_FLAG_ALONE = new RegExp(`^--?(?:${SECRET_KEYS})$`, "i");
const FLAG = new RegExp(`(--(?:${SECRET_KEYS})(=|[ \\t]+))(?!${REDACTED})([^\\s"',]+)`, "gi");
// A secret flag and its value as neighbouring items of a YAML or JSON list of args.
const FLAG_LIST_ITEM = new RegExp(
  `((?:\\\\?["'])?--(?:${SECRET_KEYS})(?:\\\\?["'])?(?:[ \\t]*,\\s*|[ \\t]*\\r?\\n[ \\t]*-[ \\t]+))` +
    `(\\\\"(?:(?!\\\\")[^\\n])*\\\\"|"(?:[^"\\\\\\n]|\\\\.)*"|'[^'\\n]*'|[^\\s,\\]"']+)`,
  "gi",
);
// The password in `scheme://user:password@host`.
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"']+:)[^\s@/"']+(?=@)/gi;
const YAML_BLOCK_HEADER = new RegExp(
  `^(\\s*(?:-\\s+)?["']?(?:${SECRET_KEYS})["']?\\s*:\\s*)[|>][-+0-9]*\\s*$`,
  "i",
);
// `kubeconfig` too: a dumped kubeconfig Secret holds the whole file (base64) under it.
// The key must not continue a word, a path or a file name: in `/x/kubeconfig: no such
// file` or `C:\x\token: ...`, `kubeconfig` and `token` are the ends of paths, not keys.
const KEY_VALUE = new RegExp(
  `(?<![\\w\\-./\\\\~])((?:\\\\?["'])?(?:${SECRET_KEYS}|kubeconfig)(?:\\\\?["'])?\\s*([:=])\\s*)` +
    `(\\\\"(?:(?!\\\\")[\\s\\S])*\\\\"|"(?:[^"\\\\]|\\\\.)*"|'(?:[^']|'')*'|[^\\s,;&()}\\]"'|>][^\\s,;&()}\\]"']*)`,
  "gi",
);
// A word that starts a phrase, as in `kubeconfig: No such file` or `--token is not set`.
const PROSE_WORD = /^[A-Za-z]{1,15}$/;
const PROSE_CONTINUES = /^ [a-z]/;
// Only whitespace and a YAML list dash before a key on its line: a YAML mapping entry.
const YAML_LINE_START = /^\s*(?:-\s+)?$/;

/**
 * Removes secrets from free text before it reaches a log, an event or a status:
 * PEM blocks (also base64-encoded ones), `Bearer` and `Basic` credentials, JWTs, the
 * values of keys such as `token`, `password` and `client-key-data` in YAML, JSON or
 * `key=value` form, `--token=` style flags, and passwords in URLs.
 *
 * Ordinary words survive: a path ending in a key's name is not a key, and an unquoted
 * word followed by more words (`token: permission denied`) is prose, not a credential,
 * unless the key starts a YAML line.
 *
 * @example
 * ```ts
 * redactText("token: s3cr3t"); // "token: REDACTED"
 * redactText("Cannot read kubeconfig /x/kubeconfig: no such file"); // unchanged
 * ```
 */
export function redactText(text: string): string {
  return redactYamlBlocks(text)
    .replace(PEM_BLOCK, `-----BEGIN $1-----${REDACTED}-----END $1-----`)
    .replace(BASE64_PEM, REDACTED)
    .replace(
      BEARER,
      (match, head: string, value: string, offset: number, all: string) =>
        isProse(value, all, offset + match.length) ? match : `${head}${REDACTED}`,
    )
    .replace(BASIC, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(
      FLAG,
      (match, head: string, separator: string, value: string, offset: number, all: string) =>
        separator !== "=" && isProse(value, all, offset + match.length) ? match : `${head}${REDACTED}`,
    )
    .replace(FLAG_LIST_ITEM, (_match, head: string, value: string) => `${head}${quoteLike(value)}`)
    .replace(URL_PASSWORD, `$1${REDACTED}`)
    .replace(
      KEY_VALUE,
      (match, key: string, separator: string, value: string, offset: number, all: string) =>
        separator === ":" && !startsYamlLine(all, offset) && isProse(value, all, offset + match.length)
          ? match
          : `${key}${quoteLike(value)}`,
    );
}

/**
 * Whether `arg` is a flag that takes a secret as its next argument (`--token`,
 * `--password`, ...), as in an exec plugin's `args`.
 */
export function isSecretFlag(arg: string): boolean {
  return SECRET_FLAG_ALONE.test(arg);
}

/**
 * `raw` with the password of its userinfo replaced by `REDACTED`; unchanged when it is
 * not a URL or has no password.
 *
 * @example
 * ```ts
 * redactUrl("http://bob:hunter2@proxy:3128"); // "http://bob:REDACTED@proxy:3128/"
 * ```
 */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw;
  }
  if (url.password === "") return raw;
  url.password = REDACTED;
  return url.href;
}

/** Whether the unquoted `value`, which ends at `end` in `text`, is the first word of a phrase. */
function isProse(value: string, text: string, end: number): boolean {
  return PROSE_WORD.test(value) && PROSE_CONTINUES.test(text.slice(end, end + 2));
}

function startsYamlLine(text: string, offset: number): boolean {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  return YAML_LINE_START.test(text.slice(lineStart, offset));
}

/** REDACTED, quoted the way `value` was. */
function quoteLike(value: string): string {
  if (value.startsWith('\\"')) return `\\"${REDACTED}\\"`;
  if (value.startsWith('"')) return `"${REDACTED}"`;
  if (value.startsWith("'")) return `'${REDACTED}'`;
  return REDACTED;
}

/** Replaces YAML block scalars (`token: |` and its more-indented lines) under secret keys. */
function redactYamlBlocks(text: string): string {
  const lines = text.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const header = YAML_BLOCK_HEADER.exec(line);
    if (!header) {
      out.push(line);
      continue;
    }
    out.push(`${header[1]}${REDACTED}`);
    const indent = line.length - line.trimStart().length;
    while (i + 1 < lines.length) {
      const next = lines[i + 1] ?? "";
      if (next.trim() !== "" && next.length - next.trimStart().length <= indent) break;
      i++;
    }
  }
  return out.join("\n");
}
