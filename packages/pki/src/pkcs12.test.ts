import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import {
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  randomBytes,
  sign,
  verify,
  X509Certificate,
} from "node:crypto";
import { integer, octetString, oid, sequence, tlv } from "./der.ts";
import { InputError } from "./errors.ts";
import { OID } from "./oids.ts";
import { checkKeyFilePassword, openPkcs12, type Pkcs12Entry, writePkcs12 } from "./pkcs12.ts";
import {
  authSafeContent,
  LEGACY_NCA_OPTIONS,
  makeCertificates,
  pfxWithMac,
  toIndefiniteBerPfx,
  UNENCRYPTED_BAGS_OPTIONS,
} from "./pkcs12-test-files.ts";
import type { OpensslCa } from "./test-support/openssl-ca.ts";

const execFileAsync = promisify(execFile);
const PASSWORD = "Secret-Key-7f";
let folder: OpensslCa;
let passwordFile: string;

before(() => {
  folder = makeCertificates();
  passwordFile = folder.write("password", PASSWORD);
});
after(() => folder.dispose());

const certificateDer = (name: string) => new X509Certificate(folder.read(name)).raw;
const privateKey = (name: string) => createPrivateKey(folder.read(name));
const spki = (key: KeyObject) => createPublicKey(key).export({ type: "spki", format: "der" });

function assertKeyMatchesCertificate(entry: Pkcs12Entry): void {
  const data = randomBytes(100);
  const signature = sign("sha256", data, entry.privateKey);
  assert.ok(
    verify("sha256", data, new X509Certificate(entry.certificate).publicKey, signature),
    "the key signs what the certificate verifies",
  );
}

/** openssl's own reading of a key file: `pkcs12 -info` (on stderr) with the keys and certificates dumped. */
function opensslInfo(file: Buffer, legacy = false): string {
  const path = folder.write(`read-${randomBytes(4).toString("hex")}.p12`, file);
  const args = [
    "pkcs12",
    "-in",
    path,
    "-passin",
    `file:${passwordFile}`,
    "-info",
    "-nodes",
    ...(legacy ? ["-legacy"] : []),
  ];
  const result = spawnSync("openssl", args, { cwd: folder.dir });
  assert.equal(result.status, 0, `openssl cannot read the file: ${result.stderr.toString()}`);
  return result.stderr.toString() + result.stdout.toString();
}

const localKeyIdOf = (info: string) =>
  Buffer.from(/localKeyID: ([0-9A-F ]+)/.exec(info)![1]!.replace(/ /g, ""), "hex");

/** The SubjectKeyIdentifier as openssl prints it, in lower-case hex. */
function opensslSubjectKeyId(certificateFile: string): string {
  const text = folder.openssl(["x509", "-in", certificateFile, "-noout", "-ext", "subjectKeyIdentifier"]);
  return /\n\s*([0-9A-F:]+)/.exec(text)![1]!.replace(/:/g, "").toLowerCase();
}

const isInputError = (code: string, message?: string) => (error: unknown) =>
  error instanceof InputError && error.code === code && (message === undefined || error.message === message);

const WRONG_PASSWORD = isInputError("wrong_password", "wrong password for the key file");

test("opens openssl -legacy files with NCA's algorithms: 3DES key bag, RC2-40 certificates, SHA-1 MAC, 1024 iterations", () => {
  for (const name of ["rsa", "ec"]) {
    const file = folder.exportPkcs12(`${name}.key`, `${name}.pem`, PASSWORD, [
      ...LEGACY_NCA_OPTIONS,
      "-iter",
      "1024",
      "-certfile",
      "ca.pem",
      "-name",
      "мой ключ",
    ]);
    const info = opensslInfo(file, true);
    assert.match(info, /MAC: sha1, Iteration 1024/);
    assert.match(info, /Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 1024/);
    assert.match(info, /PKCS7 Encrypted data: pbeWithSHA1And40BitRC2-CBC, Iteration 1024/);

    const { entries } = openPkcs12(file, PASSWORD);
    assert.equal(entries.length, 1);
    const [entry] = entries;
    assert.deepEqual(entry!.certificate, certificateDer(`${name}.pem`));
    assert.deepEqual(entry!.chain, [certificateDer("ca.pem")]);
    assert.equal(entry!.friendlyName, "мой ключ");
    assert.deepEqual(entry!.localKeyId, localKeyIdOf(info));
    assert.deepEqual(spki(entry!.privateKey), spki(privateKey(`${name}.key`)));
    assertKeyMatchesCertificate(entry!);
  }
});

test("opens a legacy file re-encoded as indefinite-length BER, as NCA's software writes them", () => {
  const der = folder.exportPkcs12("rsa.key", "rsa.pem", PASSWORD, [...LEGACY_NCA_OPTIONS, "-iter", "1024"]);
  const ber = toIndefiniteBerPfx(der, PASSWORD, 1024);
  const berPath = folder.write("indefinite.p12", ber);
  assert.match(folder.openssl(["asn1parse", "-inform", "DER", "-in", berPath]), /l=inf/);
  assert.match(opensslInfo(ber, true), /MAC: sha1, Iteration 1024/, "openssl reads the BER file and its MAC");

  const [entry] = openPkcs12(ber, PASSWORD).entries;
  assert.deepEqual(entry!.certificate, certificateDer("rsa.pem"));
  assertKeyMatchesCertificate(entry!);
  assert.throws(() => openPkcs12(ber, "Secret-Key-7g"), WRONG_PASSWORD);
});

test("opens OpenSSL 3's default files: PBES2 with PBKDF2 and AES-256-CBC, SHA-256 MAC", () => {
  for (const name of ["rsa", "ec"]) {
    const file = folder.exportPkcs12(`${name}.key`, `${name}.pem`, PASSWORD, []);
    const info = opensslInfo(file);
    assert.match(info, /MAC: sha256/);
    assert.match(info, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC/);
    const [entry] = openPkcs12(file, PASSWORD).entries;
    assert.deepEqual(entry!.certificate, certificateDer(`${name}.pem`));
    assert.deepEqual(entry!.chain, []);
    assertKeyMatchesCertificate(entry!);
  }
});

test("opens files with an unencrypted key bag and certificate bag", () => {
  const file = folder.exportPkcs12("ec.key", "ec.pem", PASSWORD, UNENCRYPTED_BAGS_OPTIONS);
  const info = opensslInfo(file);
  assert.match(info, /\nKey bag\n/);
  assert.doesNotMatch(info, /Encrypted data|Shrouded/);
  const [entry] = openPkcs12(file, PASSWORD).entries;
  assert.deepEqual(entry!.chain, [certificateDer("ca.pem")]);
  assertKeyMatchesCertificate(entry!);
});

test("opens files without a MAC; there a wrong password shows in the decryption", () => {
  for (const options of [["-nomac"], [...LEGACY_NCA_OPTIONS, "-nomac"]]) {
    const file = folder.exportPkcs12("rsa.key", "rsa.pem", PASSWORD, ["-iter", "1", ...options]);
    assert.doesNotMatch(opensslInfo(file, true), /MAC:/);
    assertKeyMatchesCertificate(openPkcs12(file, PASSWORD).entries[0]!);
    // Enough attempts that some wrong passwords decrypt to good padding (1 in 256) around garbage.
    for (let attempt = 0; attempt < 400; attempt++) {
      assert.throws(() => openPkcs12(file, `wrong-${attempt}`), WRONG_PASSWORD);
    }
  }
});

test("a wrong password is told by the MAC before anything is decrypted", () => {
  const file = folder.exportPkcs12("rsa.key", "rsa.pem", PASSWORD, ["-iter", "1"]);
  assert.throws(() => openPkcs12(file, "Secret-Key-7F"), WRONG_PASSWORD);
  // The same file with an AES-256 OID made unknown (aes256-CFB) and the MAC made again: the right
  // password reaches the cipher and fails there; a wrong one stops at the MAC.
  const aes256 = oid(OID.aes256Cbc);
  const content = Buffer.from(authSafeContent(file));
  const at = content.indexOf(aes256);
  assert.ok(at > 0);
  content[at + aes256.length - 1] = 44;
  const altered = pfxWithMac(content, PASSWORD, 1);
  assert.throws(() => openPkcs12(altered, PASSWORD), isInputError("bad_pkcs12"));
  assert.throws(
    () => openPkcs12(altered, PASSWORD),
    /unsupported PBES2 cipher 2\.16\.840\.1\.101\.3\.4\.1\.44/,
  );
  assert.throws(() => openPkcs12(altered, "Secret-Key-7F"), WRONG_PASSWORD);
});

test("a hostile iteration count is refused at once, not computed", () => {
  const content = authSafeContent(folder.exportPkcs12("rsa.key", "rsa.pem", PASSWORD, []));
  const hostile = sequence(
    integer(3),
    sequence(oid(OID.pkcs7Data), tlv(0xa0, octetString(content))),
    sequence(
      sequence(sequence(oid(OID.sha256)), octetString(Buffer.alloc(32))),
      octetString(Buffer.alloc(8)),
      integer(0x7fffffff),
    ),
  );
  const started = Date.now();
  assert.throws(
    () => openPkcs12(hostile, PASSWORD),
    isInputError("bad_pkcs12", "the key file asks for more key-derivation iterations than allowed"),
  );
  assert.ok(Date.now() - started < 1000);
});

test("what is not a key file is bad_pkcs12", () => {
  const certificate = certificateDer("rsa.pem");
  for (const input of [
    Buffer.alloc(0),
    Buffer.from("not a key file"),
    certificate,
    certificate.subarray(0, 100),
  ]) {
    assert.throws(() => openPkcs12(input, PASSWORD), isInputError("bad_pkcs12"));
  }
});

test("writePkcs12 writes PBES2/AES-256 bags and an HMAC-SHA256 MAC that openssl reads, with NCA's attributes", () => {
  const file = writePkcs12(
    {
      privateKey: privateKey("rsa.key"),
      certificate: certificateDer("rsa.pem"),
      chain: [certificateDer("ca.pem")],
    },
    PASSWORD,
  );
  const info = opensslInfo(file);
  assert.match(info, /MAC: sha256, Iteration 10000/);
  assert.match(info, /PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 10000, PRF hmacWithSHA256/);
  assert.match(info, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 10000, PRF hmacWithSHA256/);

  const subjectKeyId = opensslSubjectKeyId("rsa.pem");
  assert.equal(/friendlyName: (\S+)/.exec(info)![1], subjectKeyId);
  assert.equal(localKeyIdOf(info).toString("hex"), subjectKeyId);
  const pem = (label: string) =>
    [...info.matchAll(new RegExp(`-----BEGIN ${label}-----[^-]+-----END ${label}-----`, "g"))].map(
      (match) => match[0],
    );
  assert.deepEqual(spki(createPrivateKey(pem("PRIVATE KEY")[0]!)), spki(privateKey("rsa.key")));
  assert.deepEqual(
    pem("CERTIFICATE").map((text) => new X509Certificate(text).raw),
    [certificateDer("rsa.pem"), certificateDer("ca.pem")],
  );
});

test("Java's keytool reads a written file as one PrivateKeyEntry named by the key identifier", async () => {
  await Promise.all(
    ["rsa", "ec"].map(async (name) => {
      const file = writePkcs12(
        {
          privateKey: privateKey(`${name}.key`),
          certificate: certificateDer(`${name}.pem`),
          chain: [certificateDer("ca.pem")],
        },
        PASSWORD,
      );
      const path = folder.write(`java-${name}.p12`, file);
      const { stdout: listing } = await execFileAsync("keytool", [
        "-J-Duser.language=en",
        "-list",
        "-v",
        "-keystore",
        path,
        "-storetype",
        "PKCS12",
        "-storepass:file",
        passwordFile,
      ]);
      assert.match(listing, /Your keystore contains 1 entry/);
      assert.match(listing, /Entry type: PrivateKeyEntry/);
      assert.match(listing, /Certificate chain length: 2/);
      assert.match(listing, new RegExp(`Alias name: ${opensslSubjectKeyId(`${name}.pem`)}\n`));
    }),
  );
});

test("a written file opens again with the same key, certificates and attributes", () => {
  const key = privateKey("ec.key");
  const localKeyId = randomBytes(20);
  const file = writePkcs12(
    {
      privateKey: key,
      certificate: certificateDer("ec.pem"),
      chain: [certificateDer("ca.pem")],
      friendlyName: "Қолтаңба",
      localKeyId,
    },
    PASSWORD,
    { iterations: 1 },
  );
  const [entry] = openPkcs12(file, PASSWORD).entries;
  assert.deepEqual(entry!.certificate, certificateDer("ec.pem"));
  assert.deepEqual(entry!.chain, [certificateDer("ca.pem")]);
  assert.equal(entry!.friendlyName, "Қолтаңба");
  assert.deepEqual(entry!.localKeyId, localKeyId);
  assert.deepEqual(spki(entry!.privateKey), spki(key));
  assertKeyMatchesCertificate(entry!);
  assert.throws(() => openPkcs12(file, "Secret-Key-7"), WRONG_PASSWORD);
});

test("without a SubjectKeyIdentifier extension the key identifier is the SHA-1 of the public key, as openssl's 'hash'", () => {
  assert.doesNotMatch(
    folder.openssl(["x509", "-in", "bare.pem", "-noout", "-text"]),
    /Subject Key Identifier/,
  );
  const file = writePkcs12(
    { privateKey: privateKey("rsa.key"), certificate: certificateDer("bare.pem") },
    PASSWORD,
    { iterations: 1 },
  );
  const [entry] = openPkcs12(file, PASSWORD).entries;
  assert.equal(entry!.friendlyName, opensslSubjectKeyId("rsa.pem"));
  assert.equal(entry!.localKeyId!.toString("hex"), opensslSubjectKeyId("rsa.pem"));
});

test("writePkcs12 refuses a key that is not the certificate's, a bad certificate and odd iteration counts", () => {
  const input = { privateKey: privateKey("rsa.key"), certificate: certificateDer("rsa.pem") };
  assert.throws(
    () => writePkcs12({ ...input, privateKey: privateKey("ec.key") }, PASSWORD),
    isInputError("key_mismatch"),
  );
  assert.throws(
    () => writePkcs12({ ...input, privateKey: createPublicKey(input.privateKey) }, PASSWORD),
    isInputError("not_private_key"),
  );
  assert.throws(
    () => writePkcs12({ ...input, certificate: Buffer.from("junk") }, PASSWORD),
    isInputError("bad_certificate"),
  );
  assert.throws(
    () => writePkcs12({ ...input, chain: [Buffer.from("junk")] }, PASSWORD),
    isInputError("bad_certificate"),
  );
  for (const iterations of [0, 1.5, 600_001]) {
    assert.throws(() => writePkcs12(input, PASSWORD, { iterations }), RangeError);
  }
});

test("checkKeyFilePassword applies NCA's rule: 6 to 32 characters with upper case, lower case and a digit", () => {
  for (const good of ["Qwerty12", "aB3xyz", "Пароль2026", "Aa1" + "x".repeat(29)])
    assert.equal(checkKeyFilePassword(good), undefined, good);
  assert.equal(checkKeyFilePassword("Aa1xy"), "the password must be 6 to 32 characters long");
  assert.equal(checkKeyFilePassword("Aa1" + "x".repeat(30)), "the password must be 6 to 32 characters long");
  assert.equal(checkKeyFilePassword("qwerty12"), "the password needs an upper-case letter");
  assert.equal(checkKeyFilePassword("QWERTY12"), "the password needs a lower-case letter");
  assert.equal(checkKeyFilePassword("Qwertyui"), "the password needs a digit");
  assert.equal(checkKeyFilePassword("qwertyui"), "the password needs an upper-case letter and a digit");
  assert.equal(
    checkKeyFilePassword("!!!!!!!!"),
    "the password needs an upper-case letter, a lower-case letter and a digit",
  );
});
