// Registration Center staff: an operator is added with a role and gets a one-time enrolment link;
// through it they apply for their certificates the way anyone does, and the certificates issued for
// that application carry the role. Whoever made the link vouched for the person, so the application
// is confirmed at once.
import { createHash, randomBytes } from "node:crypto";
import { checkIin, InputError, NCA_TEST_IIN } from "@qoltanba/pki";
import type { ApplicationLifecycle } from "../enrollment/lifecycle.ts";
import { centerByCode, regionByCode } from "../locality/regions.ts";
import type { ConsoleStore, Operator } from "../storage/consoleStore.ts";
import type { Application } from "../storage/portalStore.ts";
import type { OperatorRole } from "../storage/schema.ts";
import { isRole } from "./roles.ts";

export const ENROLMENT_DAYS = 7;

export interface OperatorRequest {
  readonly iin: string;
  readonly role: string;
  /** An operator's Registration Center (e.g. astana.esil.rc). */
  readonly center?: string;
  /** A supervisor's region (e.g. astana). */
  readonly region?: string;
  /** Who added them: "cli" or "operator:ID". */
  readonly createdBy: string;
  /** The portal's public base URL, for the link. */
  readonly baseUrl: string;
  /** Lets the demo's test IIN through, as the enrollment does in test mode. */
  readonly acceptTestIin?: boolean;
}

export const enrolmentHash = (token: string) => createHash("sha256").update(token).digest("hex");

export class Operators {
  constructor(
    private readonly store: ConsoleStore,
    private readonly lifecycle: ApplicationLifecycle,
  ) {}

  /** Adds an operator and returns the one-time enrolment link (shown once, stored only as a hash). */
  async add(
    request: OperatorRequest,
    now = new Date(),
  ): Promise<{ id: number; link: string; expiresAt: Date }> {
    const problem = checkIin(request.iin);
    if (problem && !(request.acceptTestIin && request.iin === NCA_TEST_IIN))
      throw new InputError("bad_iin", `IIN ${JSON.stringify(request.iin)} is not valid (${problem})`);
    if (!isRole(request.role))
      throw new InputError(
        "bad_role",
        `role must be operator, supervisor, administrator or auditor, not ${JSON.stringify(request.role)}`,
      );
    const role: OperatorRole = request.role;
    let center: string | undefined;
    let region: string | undefined;
    if (role === "operator") {
      const found = request.center ? centerByCode(request.center) : undefined;
      if (!found)
        throw new InputError("bad_center", "an operator needs a known Registration Center (--center)");
      center = found.code;
      region = found.region;
    } else if (role === "supervisor") {
      if (!request.region || !regionByCode(request.region))
        throw new InputError("bad_region", "a supervisor needs a known region (--region)");
      region = request.region;
    } else if (request.center || request.region) {
      throw new InputError("bad_center", `an ${role} belongs to no center or region`);
    }
    const token = randomBytes(24).toString("base64url");
    const expiresAt = new Date(now.getTime() + ENROLMENT_DAYS * 86_400_000);
    const id = await this.store.addOperator({
      iin: request.iin,
      role,
      ...(center ? { center } : {}),
      ...(region ? { region } : {}),
      enrolmentHash: enrolmentHash(token),
      enrolmentExpiresAt: expiresAt,
      createdBy: request.createdBy,
      now,
    });
    return { id, link: `${request.baseUrl.replace(/\/$/, "")}/console/enrol#${token}`, expiresAt };
  }

  /** The invited operator a link is for, while it is usable. */
  invitation(token: string, now = new Date()): Promise<Operator | undefined> {
    return this.store.operatorByEnrolment(enrolmentHash(token), now);
  }

  /**
   * The operator submitted their application through the link: it must be for their own IIN. Uses
   * up the link, confirms the application (the link's maker vouched for them) and binds the issued
   * certificates to the role.
   */
  async enrol(token: string, application: Application, now = new Date()): Promise<Operator> {
    const invited = await this.invitation(token, now);
    if (!invited)
      throw new InputError("enrolment_used", "this enrolment link was already used or has expired");
    if (application.person?.iin !== invited.iin)
      throw new InputError("enrolment_iin", "the enrolment link is for another IIN");
    const bound = await this.store.bindEnrolment(enrolmentHash(token), application.number, now);
    const issued = await this.lifecycle.confirmApplication(application.number, `enrolment:${bound.id}`, now);
    await this.store.activateOperator(bound.id, { auth: issued.auth.serial, sign: issued.sign.serial }, now);
    return (await this.store.operator(bound.id))!;
  }
}
