/**
 * CPU and memory of issuing a Replicator's TLS material (CA + server + client certificate, and the
 * validity that `ensureTls` writes in the Secret's annotation), as the operator does at creation.
 *
 * ```sh
 * deno run -A bench/pki.ts                          # this checkout: ms per set over 200 sets
 * deno run -A bench/pki.ts --root /work/main        # another checkout (read-only), same script
 * deno run -A bench/pki.ts --compare /work/main     # alternates this checkout and the other, --rounds times
 * deno run -A bench/pki.ts --probe                  # fresh process: RSS before/after one set, what got loaded
 * deno run -A bench/pki.ts --builder                # one leaf: @peculiar/x509's generator vs lib/pki/certificate.ts
 * ```
 *
 * `--builder` is the measurement behind writing our own DER: the same ECDSA leaf (same keys and
 * extensions) built and signed by the library and by `certificate.ts`, and for scale a library
 * parse, a bare Web Crypto signature, and a key generation with its PKCS#8 export.
 *
 * Each measurement runs in a fresh `deno run` with the V8 flags of the `run` task, so figures match
 * the operator's process. CPU is the process's user + system time (all threads, from
 * /proc/self/stat), wall is elapsed time; both per set, after `--warmup` sets that are not counted.
 * A checkout whose tls_material.ts has no `issueTlsWithValidity` (before this change) is measured as
 * its `ensureTls` worked: `issueTls` then `validityOf` (which parses the three certificates).
 *
 * @module
 */

import { parseArgs } from "node:util";

const ROOT = new URL("../", import.meta.url).pathname;
const CONFIG = `${ROOT}deno.json`;
const V8_FLAGS = "--max-semi-space-size=1,--max-old-space-size=48";
const HOSTS = ["app.example.com", "www.example.com"];
const ALL = { ca: true, server: true, client: true };

interface TlsModule {
  issueTls?: (stored: undefined, plan: typeof ALL, hosts: string[], now: Date) => Promise<unknown>;
  validityOf?: (stored: unknown) => Promise<unknown>;
  issueTlsWithValidity?: (
    stored: undefined,
    validity: undefined,
    plan: typeof ALL,
    hosts: string[],
    now: Date,
  ) => Promise<unknown>;
}

/** User + system CPU time of this process in milliseconds (clock ticks of 10 ms). */
function cpuMs(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 (utime, stime) of proc(5); the slice starts at field 3.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMib(): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(Deno.readTextFileSync("/proc/self/status"));
  return Number(m![1]) / 1024;
}

async function loadTls(root: string): Promise<{ issueSet: () => Promise<unknown>; kind: string }> {
  const tls = await import(
    `file://${root.replace(/\/$/, "")}/controllers/replicator/tls_material.ts`
  ) as TlsModule;
  if (tls.issueTlsWithValidity) {
    const issue = tls.issueTlsWithValidity;
    return {
      kind: "issueTlsWithValidity",
      issueSet: () => issue(undefined, undefined, ALL, HOSTS, new Date()),
    };
  }
  const { issueTls, validityOf } = tls;
  return {
    kind: "issueTls+validityOf",
    issueSet: async () => await validityOf!(await issueTls!(undefined, ALL, HOSTS, new Date())),
  };
}

/** The in-process measurement (run in a child). */
async function measure(root: string, sets: number, warmup: number) {
  const { issueSet, kind } = await loadTls(root);
  const first = performance.now();
  await issueSet();
  const firstMs = performance.now() - first;
  for (let i = 1; i < warmup; i++) await issueSet();
  const cpu0 = cpuMs();
  const t0 = performance.now();
  for (let i = 0; i < sets; i++) await issueSet();
  const wall = performance.now() - t0;
  const cpu = cpuMs() - cpu0;
  return {
    root,
    kind,
    sets,
    firstSetMs: round(firstMs),
    wallMsPerSet: round(wall / sets),
    cpuMsPerSet: round(cpu / sets),
    rssMib: round(rssMib()),
  };
}

/** RSS after importing tls_material.ts, and after issuing one set; whether reflect-metadata got loaded. */
async function probe(root: string) {
  const afterImportBaseline = rssMib();
  const { issueSet, kind } = await loadTls(root);
  const afterImport = rssMib();
  await issueSet();
  const afterOneSet = rssMib();
  return {
    root,
    kind,
    rssBareMib: round(afterImportBaseline),
    rssAfterImportMib: round(afterImport),
    rssAfterOneSetMib: round(afterOneSet),
    // reflect-metadata installs Reflect.getMetadata; lib/pki/x509.ts loads it right before @peculiar/x509.
    x509Loaded: typeof (Reflect as unknown as { getMetadata?: unknown }).getMetadata === "function",
  };
}

/** Per-certificate CPU and wall time of building one leaf each way (run in a child). */
async function builder(count: number) {
  await import("reflect-metadata");
  const x509 = await import("@peculiar/x509");
  const certificate = await import("../lib/pki/certificate.ts");
  const { generateKeys } = await import("../lib/pki/keys.ts");
  const ca = await generateKeys("ecdsa-p256");
  const leaf = await generateKeys("ecdsa-p256");
  const caKeyId = await certificate.keyIdentifier(
    new Uint8Array(await crypto.subtle.exportKey("spki", ca.publicKey)),
  );
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const name = (cn: string) =>
    new x509.Name([{ O: [{ printableString: "plumber" }] }, { CN: [{ printableString: cn }] }]);
  const library = async () =>
    await x509.X509CertificateGenerator.create({
      serialNumber: hex(crypto.getRandomValues(new Uint8Array(16)).map((b, i) => i ? b : (b & 0x7f) | 0x40)),
      subject: name("server"),
      issuer: name("ca"),
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 365 * 86_400_000),
      publicKey: leaf.publicKey,
      signingKey: ca.privateKey,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        await x509.SubjectKeyIdentifierExtension.create(leaf.publicKey, false, crypto),
        new x509.AuthorityKeyIdentifierExtension(hex(caKeyId), false),
        new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "app.example.com" }], false),
      ],
    }, crypto);
  const caSubject = certificate.encodeName("ca", ["plumber"]);
  const ours = async () => {
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", leaf.publicKey));
    const tbs = certificate.encodeTbs({
      serial: crypto.getRandomValues(new Uint8Array(16)).map((b, i) => i ? b : (b & 0x7f) | 0x40),
      issuer: caSubject,
      subject: certificate.encodeName("server", ["plumber"]),
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 365 * 86_400_000),
      spki,
      signatureAlgorithm: certificate.signatureAlgorithmIdentifier(ca.privateKey),
      subjectKeyId: await certificate.keyIdentifier(spki),
      authorityKeyId: caKeyId,
      extendedKeyUsages: ["serverAuth"],
      dnsNames: ["app.example.com"],
    });
    return await certificate.signCertificate(tbs, ca.privateKey);
  };
  const sample = (await library()).rawData;
  const cases: [string, () => Promise<unknown>][] = [
    ["libraryBuildSignMs", library],
    ["ownDerBuildSignMs", ours],
    ["libraryParseMs", () => {
      const parsed = new x509.X509Certificate(sample);
      parsed.getExtension(x509.SubjectAlternativeNameExtension);
      return Promise.resolve(parsed.notAfter);
    }],
    [
      "webCryptoSignMs",
      () => crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, ca.privateKey, new Uint8Array(400)),
    ],
    [
      "generateKeyAndPkcs8Ms",
      async () => crypto.subtle.exportKey("pkcs8", (await generateKeys("ecdsa-p256")).privateKey),
    ],
  ];
  const result: Record<string, number> = {};
  for (const [key, run] of cases) {
    for (let i = 0; i < 20; i++) await run();
    const cpu0 = cpuMs();
    for (let i = 0; i < count; i++) await run();
    result[key] = round((cpuMs() - cpu0) / count);
  }
  return { root: ROOT, cpuPerCertificate: true, ...result };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

async function child(args: string[]): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--no-lock",
      `--config=${CONFIG}`,
      `--v8-flags=${V8_FLAGS}`,
      import.meta.filename!,
      "--child",
      ...args,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  if (!out.success) throw new Error(`bench child failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(text);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      root: { type: "string", default: ROOT },
      compare: { type: "string" },
      rounds: { type: "string", default: "3" },
      sets: { type: "string", default: "200" },
      warmup: { type: "string", default: "5" },
      probe: { type: "boolean", default: false },
      builder: { type: "boolean", default: false },
      child: { type: "boolean", default: false },
    },
  });
  const sets = Number(values.sets);
  const warmup = Number(values.warmup);
  if (values.child) {
    const result = values.builder
      ? await builder(sets * 2)
      : values.probe
      ? await probe(values.root)
      : await measure(values.root, sets, warmup);
    console.log(JSON.stringify(result));
  } else {
    const flags = (root: string) => [
      `--root=${root}`,
      `--sets=${sets}`,
      `--warmup=${warmup}`,
      ...(values.probe ? ["--probe"] : []),
      ...(values.builder ? ["--builder"] : []),
    ];
    const roots = values.compare ? [values.compare, ROOT] : [values.root];
    const results = new Map<string, Record<string, unknown>[]>(roots.map((r) => [r, []]));
    const rounds = values.compare ? Number(values.rounds) : 1;
    for (let i = 0; i < rounds; i++) {
      for (const root of roots) {
        const result = await child(flags(root));
        results.get(root)!.push(result);
        console.log(JSON.stringify(result));
      }
    }
    if (values.compare) {
      for (const [root, list] of results) {
        const numeric = Object.keys(list[0]!).filter((k) => typeof list[0]![k] === "number" && k !== "sets");
        const summary = Object.fromEntries(numeric.map((k) => [k, median(list.map((r) => r[k] as number))]));
        console.log(`median of ${list.length} (${root}): ${JSON.stringify(summary)}`);
      }
    }
  }
}
