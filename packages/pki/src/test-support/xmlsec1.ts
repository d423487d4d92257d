// Test-only: signers made by openssl (RSA-2048 and P-256 under a throwaway CA) and the xmlsec1 CLI
// to verify our XML signatures and to sign documents that ours must verify.
import { spawnSync } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { localSigningKey } from "../algorithms.ts";
import { fromPemOrDer } from "../pem.ts";
import type { XmlSigner } from "../xmldsig.ts";
import { OpensslCa, P256, RSA_2048 } from "./openssl-ca.ts";

export interface TestSigner extends XmlSigner {
  name: string;
  /** key.pem,cert.pem in the CA's dir, as xmlsec1 --privkey-pem takes them. */
  keyAndCertificate: string;
}

export interface Xmlsec1Result {
  status: number;
  output: string;
  /** The signed document (xmlsec1 --sign only). */
  signed?: string;
}

export class Xmlsec1Lab {
  readonly ca = new OpensslCa({ subject: "/C=KZ/CN=Qoltanba XML Test CA" });
  readonly rsa = this.signer("rsa", RSA_2048);
  readonly ec = this.signer("ec", P256);
  private files = 0;

  private signer(name: string, keyOptions: readonly string[]): TestSigner {
    this.ca.request(name, `/C=KZ/CN=${name} signer`, keyOptions);
    this.ca.certify(name, { days: 10, serial: `0x${name === "rsa" ? 10 : 11}` });
    return {
      name,
      certificate: fromPemOrDer(readFileSync(this.ca.path(`${name}.pem`)), ["CERTIFICATE"], name),
      key: localSigningKey(createPrivateKey(readFileSync(this.ca.path(`${name}.key`)))),
      keyAndCertificate: `${name}.key,${name}.pem`,
    };
  }

  /** xmlsec1 --verify against the CA; `idAttributes` are [node-namespace:]node names whose Id attribute is an ID. */
  verify(xml: string, idAttributes: string[] = []): Xmlsec1Result {
    return this.run(["--verify", "--trusted-pem", "ca.pem", ...idOptions(idAttributes)], xml);
  }

  /** xmlsec1 --sign of a document holding a ds:Signature template. */
  sign(template: string, signer: TestSigner, idAttributes: string[] = []): Xmlsec1Result {
    const output = `signed-${++this.files}.xml`;
    const result = this.run(
      ["--sign", "--privkey-pem", signer.keyAndCertificate, ...idOptions(idAttributes), "--output", output],
      template,
    );
    return result.status === 0 ? { ...result, signed: readFileSync(this.ca.path(output), "utf8") } : result;
  }

  private run(args: string[], xml: string): Xmlsec1Result {
    const input = `input-${++this.files}.xml`;
    this.ca.write(input, xml);
    const result = spawnSync("xmlsec1", [...args, input], { cwd: this.ca.dir, encoding: "utf8" });
    if (result.error) throw result.error;
    return { status: result.status ?? -1, output: result.stdout + result.stderr };
  }

  dispose(): void {
    this.ca.dispose();
  }
}

const idOptions = (nodes: string[]) => nodes.flatMap((node) => ["--id-attr:Id", node]);

/** A ds:Signature template for xmlsec1 --sign: one Reference, empty values, X509Data to fill. */
export function signatureTemplate(options: {
  signatureMethod: string;
  signedInfoC14n: string;
  uri: string;
  transforms: string[];
  inclusivePrefixes?: string;
}): string {
  const prefixList = options.inclusivePrefixes
    ? `<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="${options.inclusivePrefixes}"/>`
    : "";
  const transforms = options.transforms
    .map(
      (algorithm) =>
        `<ds:Transform Algorithm="${algorithm}">${algorithm.includes("exc-c14n") ? prefixList : ""}</ds:Transform>`,
    )
    .join("");
  return (
    `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
    `<ds:CanonicalizationMethod Algorithm="${options.signedInfoC14n}">${options.signedInfoC14n.includes("exc-c14n") ? prefixList : ""}</ds:CanonicalizationMethod>` +
    `<ds:SignatureMethod Algorithm="${options.signatureMethod}"/>` +
    `<ds:Reference URI="${options.uri}"><ds:Transforms>${transforms}</ds:Transforms>` +
    `<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference>` +
    `</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>`
  );
}
