// Helpers shared by the portal's tests: a CA and a portal on a real HTTP server, a browser-like
// client with cookies, OpenSSL-made CSRs, and the CA's two database engines.
import { randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import { makeIin, toPem } from "@qoltanba/pki";
import {
  createCaServer,
  initCertificateAuthority,
  openCertificateAuthority,
  type CaServer,
  type CertificateAuthority,
} from "@qoltanba/ca";
import {
  openssl,
  opensslCsr,
  temporaryDirectory,
  TEST_PASSWORD,
  writePem,
  type TestDatabase,
} from "../../ca/src/testSupport.ts";
import { inProcessCaClient, type CaClient } from "./caClient.ts";
import { Portal, type PortalOptions } from "./portal.ts";

export {
  openssl,
  opensslCsr,
  opensslResult,
  temporaryDirectory,
  testDatabases,
  writePem,
  type TestDatabase,
} from "../../ca/src/testSupport.ts";

export const DEMO_PERSONS = new URL("../demo/persons.csv", import.meta.url).pathname;
export const PERSON = { iin: "900314300015", surname: "ТЕСТОВ", givenName: "ТЕСТ", patronymic: "ТЕСТОВИЧ" };

export interface TestPortal {
  readonly ca: CertificateAuthority;
  readonly portal: Portal;
  readonly server: CaServer;
  readonly url: string;
  readonly dir: string;
  close(): Promise<void>;
}

/** A CA with its keys unlocked, on this database. */
export async function startTestCa(
  database: TestDatabase,
  dir = join(temporaryDirectory("qoltanba-portal-"), "ca"),
): Promise<CertificateAuthority> {
  await initCertificateAuthority({
    dir,
    password: TEST_PASSWORD,
    issuingKeyBits: 2048,
    ...(database.url ? { databaseUrl: database.url } : {}),
  });
  return openCertificateAuthority(dir, { password: TEST_PASSWORD });
}

/** A CA (keys unlocked) and the portal mounted on its server, listening on 127.0.0.1:0. */
export async function startTestPortal(
  database: TestDatabase,
  options: Partial<PortalOptions> = {},
): Promise<TestPortal> {
  const ca = await startTestCa(database);
  const dir = ca.dir;
  const portal = await Portal.open({
    ca: inProcessCaClient(ca),
    databaseUrl: database.url ?? "sqlite:portal.sqlite",
    baseDir: dir,
    registry: { kind: "embedded", file: DEMO_PERSONS },
    ...options,
  });
  const server = await createCaServer(ca);
  await server.app.register(portal.plugin);
  const url = (await server.app.listen({ host: "127.0.0.1", port: 0 })).replace("localhost", "127.0.0.1");
  return {
    ca,
    portal,
    server,
    url,
    dir,
    async close() {
      await server.close();
      await portal.close();
      await ca.close();
      await database.drop();
    },
  };
}

/** A browser in miniature: keeps cookies, reads the CSRF token of the last page. */
export class Browser {
  private cookies = new Map<string, string>();
  csrfToken = "";
  /** Every path requested, redirects included: none may carry personal data. */
  readonly visited: string[] = [];

  constructor(
    readonly baseUrl: string,
    /** Sent with every request (a load test's X-Forwarded-For, say). */
    private readonly defaultHeaders: Record<string, string> = {},
  ) {}

  async request(
    path: string,
    init: RequestInit & { form?: Record<string, string>; json?: unknown } = {},
  ): Promise<Response> {
    const headers = new Headers({ ...this.defaultHeaders, ...Object.fromEntries(new Headers(init.headers)) });
    if (this.cookies.size > 0)
      headers.set("cookie", [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    let body = init.body;
    if (init.form) {
      headers.set("content-type", "application/x-www-form-urlencoded");
      body = new URLSearchParams(init.form).toString();
    } else if (init.json !== undefined) {
      headers.set("content-type", "application/json");
      headers.set("accept", "application/json");
      body = JSON.stringify(init.json);
    }
    this.visited.push(path);
    const response = await fetch(new URL(path, this.baseUrl), {
      ...init,
      headers,
      body: body ?? null,
      redirect: "manual",
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair, ...attributes] = cookie.split(";");
      const [name, value] = [pair!.slice(0, pair!.indexOf("=")), pair!.slice(pair!.indexOf("=") + 1)];
      if (attributes.some((attribute) => attribute.trim() === "Max-Age=0")) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** GET a page (following redirects), remembering its CSRF token. */
  async page(path: string): Promise<{ status: number; text: string; url: string }> {
    let response = await this.request(path);
    let location = path;
    while (response.status === 303 || response.status === 302) {
      location = response.headers.get("location")!;
      response = await this.request(location);
    }
    const text = await response.text();
    this.remember(text);
    return { status: response.status, text, url: location };
  }

  /** POST a form with the CSRF token (unless `csrf: false`), following a 303. */
  async post(
    path: string,
    form: Record<string, string>,
    options: { csrf?: boolean } = {},
  ): Promise<{ status: number; text: string; url: string }> {
    const response = await this.request(path, {
      method: "POST",
      form: options.csrf === false ? form : { _csrf: this.csrfToken, ...form },
    });
    if (response.status === 303) {
      await response.body?.cancel();
      return this.page(response.headers.get("location")!);
    }
    const text = await response.text();
    this.remember(text);
    return { status: response.status, text, url: path };
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  private remember(text: string): void {
    // The console's pages close the tag (" />"), the public site's do not.
    const token = /<meta name="csrf-token" content="([^"]+)"\s*\/?>/.exec(text)?.[1];
    if (token) this.csrfToken = token;
  }
}

/** The captcha's answer, read from the database as only a test may. */
export async function captchaAnswer(
  portal: Pick<Portal, "store">,
  pageText: string,
): Promise<{ id: string; answer: string }> {
  const id = /name="captchaId" value="([^"]+)"/.exec(pageText)?.[1];
  if (!id) throw new Error("the page has no captcha");
  const row = await portal.store.db
    .selectFrom("captchas")
    .select("answer")
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  return { id, answer: row.answer };
}

/** Two fresh RSA-2048 CSRs made by OpenSSL. */
export function csrPair(dir = temporaryDirectory()): {
  auth: string;
  sign: string;
  authKey: string;
  signKey: string;
} {
  const suffix = randomBytes(4).toString("hex");
  const auth = opensslCsr(dir, `auth-${suffix}`);
  const sign = opensslCsr(dir, `sign-${suffix}`);
  return {
    auth: auth.csr.toString(),
    sign: sign.csr.toString(),
    authKey: auth.keyPath,
    signKey: sign.keyPath,
  };
}

/** A valid IIN for a birth date (the first serial from `serial` that has a check digit). */
export function validIin(birth: string, sex: "male" | "female", serial = 1): string {
  for (let candidate = serial; ; candidate++) {
    const iin = makeIin(new Date(`${birth}T00:00:00Z`), sex, candidate);
    if (iin) return iin;
  }
}

/** A real SMTP server on 127.0.0.1 that keeps what arrives, parsed. */
export class Inbox {
  readonly messages: ParsedMail[] = [];
  private server = this.create();
  port = 0;

  private create() {
    return new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      onData: (stream, _session, callback) => {
        simpleParser(stream).then((parsed) => {
          this.messages.push(parsed);
          callback();
        }, callback);
      },
    });
  }

  async start(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server = this.create();
  }
}

export interface TestKey {
  readonly serial: string;
  readonly certificatePath: string;
  readonly keyPath: string;
}

/** OpenSSL's key with its certificate written beside it as PEM, for opensslSign. */
function testKey(serial: string, certificate: Buffer, keyPath: string, dir: string): TestKey {
  const certificatePath = join(dir, `${serial}.pem`);
  writeFileSync(certificatePath, toPem("CERTIFICATE", certificate));
  return { serial, certificatePath, keyPath };
}

/** A person's AUTH and SIGN certificates, issued by the CA for OpenSSL-made keys. */
export async function issuePersonKeys(
  ca: CaClient,
  person: { iin: string; surname: string; givenName: string },
  dir = temporaryDirectory(),
): Promise<{ auth: TestKey; sign: TestKey }> {
  const subject = { iin: person.iin, surname: person.surname, givenName: person.givenName };
  const issue = async (profile: "individual-auth" | "individual-sign"): Promise<TestKey> => {
    const { csr, keyPath } = opensslCsr(dir, `${profile}-${randomBytes(4).toString("hex")}`);
    const issued = await ca.issueCertificate({ csr: csr.toString(), profile, subject, storage: "file" });
    return testKey(issued.serial, issued.certificate, keyPath, dir);
  };
  return { auth: await issue("individual-auth"), sign: await issue("individual-sign") };
}

/** The keys of an issued application: OpenSSL's private keys (csrPair's) and the CA's certificates. */
export async function issuedKeys(
  portal: Portal,
  number: string,
  csrs: { authKey: string; signKey: string },
  dir: string,
): Promise<{ auth: TestKey; sign: TestKey }> {
  const application = (await portal.store.application(number))!;
  const key = async (serial: string, keyPath: string) =>
    testKey(serial, (await portal.ca.certificate(serial))!.certificate, keyPath, dir);
  return {
    auth: await key(application.authSerial!, csrs.authKey),
    sign: await key(application.signSerial!, csrs.signKey),
  };
}

/** For assert.rejects: the error carries this stable code. */
export const failsWith = (code: string) => (error: unknown) => (error as { code?: string }).code === code;

/** An attached CMS SignedData over `content`, made by OpenSSL, in base64 (what the agent returns). */
export function opensslSign(content: string | Buffer, key: TestKey): string {
  return openssl(
    [
      "cms",
      "-sign",
      "-nodetach",
      "-binary",
      "-outform",
      "DER",
      "-signer",
      key.certificatePath,
      "-inkey",
      key.keyPath,
    ],
    content,
  ).toString("base64");
}

/** An application submitted through the enrollment as the pages do it (captcha, IIN check, CSRs). */
export async function submitApplication(
  portal: Portal,
  iin: string,
  center = "astana.esil.rc",
  dir = temporaryDirectory(),
): Promise<{ number: string; csrs: ReturnType<typeof csrPair> }> {
  const captcha = await portal.enrollment.newCaptcha();
  const { answer } = await portal.store.db
    .selectFrom("captchas")
    .select("answer")
    .where("id", "=", captcha.id)
    .executeTakeFirstOrThrow();
  const checked = await portal.enrollment.checkIdentity({
    captchaId: captcha.id,
    captchaAnswer: answer,
    iin,
  });
  const csrs = csrPair(dir);
  const locality = center.replace(/\.rc$/, "");
  const submitted = await portal.enrollment.submit({
    ticket: checked.ticket,
    iin,
    email: `${iin}@example.kz`,
    emailRepeat: `${iin}@example.kz`,
    region: locality.split(".")[0]!,
    locality,
    center,
    storage: "file",
    authCsr: csrs.auth,
    signCsr: csrs.sign,
    language: "en",
  });
  return { number: submitted.number, csrs };
}

/**
 * `openssl ocsp` asks the test portal's responder about a certificate of its CA, verifying the
 * answer against the root, until what openssl prints matches `expected` (a revocation reaches the
 * responder within a second or two) or ten seconds pass; returns that output. Asynchronous, because
 * the responder answers from this very process.
 */
export async function opensslOcsp(env: TestPortal, serial: string, expected: RegExp, dir: string): Promise<string> {
  const stored = await env.portal.ca.certificate(serial);
  if (!stored) throw new Error(`the CA has no certificate ${serial}`);
  const certificate = writePem(dir, `ocsp-${serial}.pem`, toPem("CERTIFICATE", stored.certificate));
  const issuer = writePem(dir, "ocsp-issuing.pem", toPem("CERTIFICATE", env.ca.certificates.issuing));
  const root = writePem(dir, "ocsp-root.pem", toPem("CERTIFICATE", env.ca.certificates.root));
  let answer = "";
  for (let attempt = 0; attempt < 40 && !expected.test(answer); attempt++) {
    if (attempt > 0) await sleep(250);
    const { stdout, stderr } = await promisify(execFile)("openssl", [
      "ocsp",
      "-issuer",
      issuer,
      "-cert",
      certificate,
      "-url",
      `${env.url}/ocsp`,
      "-CAfile",
      root,
      "-no_nonce",
      "-timeout",
      "5",
    ]);
    answer = `${stdout}${stderr}`;
  }
  return answer;
}
