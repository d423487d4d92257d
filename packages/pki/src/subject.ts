import { InputError } from "./errors.ts";
import { checkBin, checkIin, NCA_TEST_IIN } from "./iin.ts";
import type { NameAttribute } from "./name.ts";
import { OID } from "./oids.ts";

/** A verified identity: who the certificate is for. Never taken from the CSR. */
export interface PersonIdentity {
  readonly kind: "individual";
  readonly iin: string;
  readonly surname: string;
  readonly givenName: string;
  readonly patronymic?: string;
  readonly email?: string;
  readonly locality?: string;
  readonly region?: string;
}

export type LegalRole = "head" | "may-sign" | "may-sign-financial" | "hr" | "employee";
export const LEGAL_ROLES: readonly LegalRole[] = ["head", "may-sign", "may-sign-financial", "hr", "employee"];

export interface EmployeeIdentity extends Omit<PersonIdentity, "kind"> {
  readonly kind: "legal";
  readonly organization: string;
  readonly bin: string;
  readonly role: LegalRole;
}

export interface ServerIdentity {
  readonly kind: "server";
  readonly dnsNames: readonly string[];
}

export type SubjectIdentity = PersonIdentity | EmployeeIdentity | ServerIdentity;

export interface SubjectCheckOptions {
  /** NCA-style test mode: accept the public test IIN 123456789011. Off by default. */
  readonly acceptTestIin?: boolean;
}

const MAX_NAME_LENGTH = 128;
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const DNS_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function text(input: Record<string, unknown>, field: string, required: boolean): string | undefined {
  const value = input[field];
  if (value === undefined || value === null || value === "") {
    if (required) throw new InputError("subject_missing_field", `subject: ${field} is missing`);
    return undefined;
  }
  if (typeof value !== "string") throw new InputError("subject_bad_field", `subject: ${field} must be a string`);
  const trimmed = value.trim().replace(/\s+/g, " ");
  if (trimmed === "") {
    if (required) throw new InputError("subject_missing_field", `subject: ${field} is missing`);
    return undefined;
  }
  if (trimmed.length > MAX_NAME_LENGTH) {
    throw new InputError("subject_bad_field", `subject: ${field} is longer than ${MAX_NAME_LENGTH} characters`);
  }
  if ([...trimmed].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)) {
    throw new InputError("subject_bad_field", `subject: ${field} contains control characters`);
  }
  return trimmed;
}

function checkIdentifier(kind: "IIN" | "BIN", value: string, options: SubjectCheckOptions): void {
  if (kind === "IIN" && options.acceptTestIin && value === NCA_TEST_IIN) return;
  const problem = kind === "IIN" ? checkIin(value) : checkBin(value);
  if (problem === "format") throw new InputError(`subject_bad_${kind.toLowerCase()}`, `subject: ${kind} must be 12 digits`);
  if (problem) {
    const what = { checksum: "fails its checksum", birth_date: "has no valid birth date", century: "has an invalid century digit" }[problem];
    throw new InputError(`subject_bad_${kind.toLowerCase()}`, `subject: ${kind} ${value} ${what}`);
  }
}

/**
 * Checks a subject description (the JSON of `qoltanba ca issue --subject`) and returns the typed
 * identity. `expected` is what the profile needs: a person, an employee of a legal entity or a server.
 */
export function parseSubject(
  input: unknown,
  expected: SubjectIdentity["kind"],
  options: SubjectCheckOptions = {},
): SubjectIdentity {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new InputError("subject_not_object", "subject must be a JSON object");
  }
  const fields = input as Record<string, unknown>;
  if (expected === "server") {
    const names = fields.dnsNames;
    if (!Array.isArray(names) || names.length === 0) {
      throw new InputError("subject_missing_field", "subject: dnsNames (a non-empty list) is missing");
    }
    const dnsNames = names.map((name) => {
      if (typeof name !== "string" || !DNS_NAME.test(name.toLowerCase())) {
        throw new InputError("subject_bad_field", `subject: ${JSON.stringify(name)} is not a DNS name`);
      }
      return name.toLowerCase();
    });
    return { kind: "server", dnsNames };
  }
  const iin = text(fields, "iin", true)!;
  checkIdentifier("IIN", iin, options);
  const email = text(fields, "email", false);
  if (email !== undefined && !EMAIL.test(email)) {
    throw new InputError("subject_bad_email", `subject: ${email} is not an e-mail address`);
  }
  const person = {
    iin,
    surname: text(fields, "surname", true)!,
    givenName: text(fields, "givenName", true)!,
    ...optional("patronymic", text(fields, "patronymic", false)),
    ...optional("email", email),
    ...optional("locality", text(fields, "locality", false)),
    ...optional("region", text(fields, "region", false)),
  };
  if (expected === "individual") return { kind: "individual", ...person };
  const bin = text(fields, "bin", true)!;
  checkIdentifier("BIN", bin, options);
  const role = text(fields, "role", true)!;
  if (!LEGAL_ROLES.includes(role as LegalRole)) {
    throw new InputError("subject_bad_role", `subject: role must be one of ${LEGAL_ROLES.join(", ")}`);
  }
  return { kind: "legal", ...person, organization: text(fields, "organization", true)!, bin, role: role as LegalRole };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/**
 * The subject DN in NCA's order: CN, SURNAME, SERIALNUMBER=IIN…, C=KZ, [L, ST,] [O, OU=BIN…,]
 * G=patronymic, [E]. CN is "SURNAME GIVENNAME" as NCA writes it.
 */
export function subjectNameAttributes(identity: SubjectIdentity): NameAttribute[] {
  if (identity.kind === "server") return [{ type: OID.commonName, value: identity.dnsNames[0]! }];
  const attributes: NameAttribute[] = [
    { type: OID.commonName, value: `${identity.surname} ${identity.givenName}` },
    { type: OID.surname, value: identity.surname },
    { type: OID.serialNumber, value: `IIN${identity.iin}` },
    { type: OID.countryName, value: "KZ" },
  ];
  if (identity.locality) attributes.push({ type: OID.localityName, value: identity.locality });
  if (identity.region) attributes.push({ type: OID.stateOrProvinceName, value: identity.region });
  if (identity.kind === "legal") {
    attributes.push({ type: OID.organizationName, value: identity.organization });
    attributes.push({ type: OID.organizationalUnitName, value: `BIN${identity.bin}` });
  }
  if (identity.patronymic) attributes.push({ type: OID.givenName, value: identity.patronymic });
  if (identity.email) attributes.push({ type: OID.emailAddress, value: identity.email });
  return attributes;
}

/** The key that says whose a public key is: a key certified for one owner must not go to another. */
export function ownerKey(identity: SubjectIdentity): string {
  return identity.kind === "server" ? `dns:${identity.dnsNames.join(",")}` : `iin:${identity.iin}`;
}
