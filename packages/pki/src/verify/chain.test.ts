// Path building and validation on hierarchies made with the openssl CLI; each verdict is compared
// with `openssl verify` on the same certificates.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OID } from "../oids.ts";
import { fromPemOrDer } from "../pem.ts";
import { buildChain } from "./chain.ts";
import { certificateFacts } from "./certificate-facts.ts";
import { verifyCertificate } from "./verify-certificate.ts";

const dir = mkdtempSync(join(tmpdir(), "qoltanba-chain-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const CA = ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"];
const LEAF = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature"];

/** A P-256 certificate named CN=`name`, self-signed or signed by `issuer`, with openssl extension lines. */
function make(name: string, issuer: string | undefined, extensions: string[], subject = `/CN=${name}`): Buffer {
  writeFileSync(join(dir, `${name}.ext`), ["subjectKeyIdentifier=hash", ...(issuer ? ["authorityKeyIdentifier=keyid"] : []), ...extensions].join("\n") + "\n");
  openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-subj", subject, "-out", `${name}.csr`]);
  const signing = issuer ? ["-CA", `${issuer}.pem`, "-CAkey", `${issuer}.key`] : ["-key", `${name}.key`];
  openssl(["x509", "-req", "-in", `${name}.csr`, ...signing, "-days", "5", "-extfile", `${name}.ext`, "-out", `${name}.pem`]);
  return fromPemOrDer(readFileSync(join(dir, `${name}.pem`)), ["CERTIFICATE"], name);
}

function opensslVerify(root: string, untrusted: string[], leaf: string): { ok: boolean; output: string } {
  if (untrusted.length > 0) writeFileSync(join(dir, "untrusted.pem"), untrusted.map((name) => readFileSync(join(dir, `${name}.pem`), "utf8")).join(""));
  const result = spawnSync("openssl", ["verify", "-CAfile", `${root}.pem`, ...(untrusted.length > 0 ? ["-untrusted", "untrusted.pem"] : []), `${leaf}.pem`], { cwd: dir, encoding: "utf8" });
  return { ok: result.status === 0, output: result.stdout + result.stderr };
}

const root = make("root", undefined, CA);
const issuing = make("issuing", "root", ["basicConstraints=critical,CA:TRUE,pathlen:0", "keyUsage=critical,keyCertSign,cRLSign"]);
const leaf = make("leaf", "issuing", LEAF);

async function judge(target: Buffer, untrusted: Buffer[]) {
  return verifyCertificate(target, { trusted: [root], untrusted, revocation: "none" });
}

test("a well-formed chain is valid, in the order openssl builds it", async () => {
  const verdict = await judge(leaf, [issuing]);
  assert.equal(verdict.verdict, "valid", verdict.reasons.join("; "));
  assert.deepEqual(verdict.chain, ["CN=leaf", "CN=issuing", "CN=root"]);
  assert.ok(opensslVerify("root", ["issuing"], "leaf").ok);
});

test("a CA below a pathlen:0 CA breaks the path, as openssl says", async () => {
  const sub = make("sub", "issuing", CA);
  const deep = make("deep", "sub", LEAF);
  const verdict = await judge(deep, [issuing, sub]);
  assert.equal(verdict.verdict, "invalid");
  assert.deepEqual(verdict.reasons, ["CN=issuing: pathLenConstraint 0 allows fewer CAs below it than 1"]);
  assert.match(opensslVerify("root", ["issuing", "sub"], "deep").output, /path length constraint exceeded/);
});

test("an issuer that is not a CA, or may not sign certificates, is refused as openssl refuses it", async () => {
  const notCa = make("notca", "root", LEAF);
  const underNotCa = make("under-notca", "notca", LEAF);
  const first = await judge(underNotCa, [notCa]);
  assert.equal(first.verdict, "invalid");
  assert.match(first.reasons.join("\n"), /CN=notca: is not a CA \(basicConstraints cA is not set\)/);
  assert.match(first.reasons.join("\n"), /CN=notca: its keyUsage does not allow signing certificates/);
  assert.equal(opensslVerify("root", ["notca"], "under-notca").ok, false);

  const crlOnly = make("crlonly", "root", ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,cRLSign"]);
  const underCrlOnly = make("under-crlonly", "crlonly", LEAF);
  const second = await judge(underCrlOnly, [crlOnly]);
  assert.deepEqual(second.reasons, ["CN=crlonly: its keyUsage does not allow signing certificates"]);
  assert.match(opensslVerify("root", ["crlonly"], "under-crlonly").output, /key usage does not include certificate signing/);
});

test("an unknown critical extension makes the certificate invalid; openssl refuses it too", async () => {
  const odd = make("odd", "issuing", [...LEAF, "1.2.3.4.5=critical,ASN1:NULL"]);
  const verdict = await judge(odd, [issuing]);
  assert.deepEqual(verdict.reasons, ["CN=odd: unsupported critical extension 1.2.3.4.5"]);
  assert.match(opensslVerify("root", ["issuing"], "odd").output, /unhandled critical extension|unsupported certificate purpose/);
});

test("without the issuer, or with a same-named issuer of another key, the path does not build", async () => {
  const alone = await judge(leaf, []);
  assert.deepEqual(alone.reasons, ["no chain to a trusted root: the issuer of CN=leaf (CN=issuing) is not among the certificates given"]);
  assert.equal(opensslVerify("root", [], "leaf").ok, false);

  const twin = make("twin", "root", ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign"], "/CN=issuing");
  const withTwin = await judge(leaf, [twin, issuing]);
  assert.equal(withTwin.verdict, "valid", "the issuer whose key identifier matches is tried first");
  const onlyTwin = await judge(leaf, [twin]);
  assert.deepEqual(onlyTwin.reasons, ["CN=leaf: its signature does not verify with the key of CN=issuing"]);
  assert.equal(opensslVerify("root", ["twin"], "leaf").ok, false);
});

test("purposes: a time-stamping authority needs a critical timeStamping EKU", () => {
  const soft = make("soft-tsa", "issuing", [...LEAF, "extendedKeyUsage=timeStamping"]);
  const tsa = make("tsa", "issuing", [...LEAF, "extendedKeyUsage=critical,timeStamping"]);
  const options = { trusted: [certificateFacts(root)], intermediates: [certificateFacts(issuing)], at: new Date() };
  const purpose = { name: "time-stamping authority", extendedKeyUsage: OID.timeStamping, criticalExtendedKeyUsage: true };
  const problems = (cert: Buffer) => buildChain(certificateFacts(cert), { ...options, purpose }).findings.problems;
  assert.deepEqual(problems(leaf), [`CN=leaf: not a time-stamping authority certificate (extendedKeyUsage lacks ${OID.timeStamping})`]);
  assert.deepEqual(problems(soft), ["CN=soft-tsa: its extendedKeyUsage must be critical for a time-stamping authority"]);
  assert.deepEqual(problems(tsa), []);
});

test("a trusted root verified by itself has its self-signature checked", async () => {
  assert.equal((await verifyCertificate(root, { trusted: [root] })).verdict, "valid");
  const damaged = Buffer.from(root);
  damaged[damaged.length - 5]! ^= 0x01;
  const verdict = await verifyCertificate(damaged, { trusted: [damaged] });
  assert.deepEqual(verdict.reasons, ["CN=root: its signature does not verify with the key of CN=root"]);
});
