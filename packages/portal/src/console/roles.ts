// Who may do what in the Registration Center console. Enforced on the server, per request.
import { InputError } from "@qoltanba/pki";
import type { Operator, QueueScope } from "../storage/consoleStore.ts";
import type { OperatorRole } from "../storage/schema.ts";

export const ROLES: readonly OperatorRole[] = ["operator", "supervisor", "administrator", "auditor"];

/**
 * queue: search and view applications; decide: confirm, reject, revoke (signed); reassign: move an
 * application to another center of the region; manage: operators and enrolment links; audit: the
 * log and the signed decisions, read-only.
 */
export type Permission = "queue" | "decide" | "reassign" | "manage" | "audit";

const PERMISSIONS: Record<OperatorRole, readonly Permission[]> = {
  operator: ["queue", "decide"],
  supervisor: ["queue", "decide", "reassign"],
  administrator: ["manage"],
  auditor: ["audit"],
};

export class Forbidden extends InputError {
  override name = "Forbidden";
  constructor(message: string) {
    super("forbidden", message);
  }
}

export const isRole = (value: unknown): value is OperatorRole => ROLES.includes(value as OperatorRole);

export function can(operator: Operator, permission: Permission): boolean {
  return PERMISSIONS[operator.role].includes(permission);
}

export function requirePermission(operator: Operator, permission: Permission): void {
  if (!can(operator, permission))
    throw new Forbidden(
      `the ${operator.role} role may not ${permission === "queue" ? "see the work queue" : permission}`,
    );
}

/** The applications an operator's queue holds: their center, a supervisor's region. */
export function scopeOf(operator: Operator): QueueScope {
  if (operator.role === "operator") return { center: operator.center! };
  if (operator.role === "supervisor") return { region: operator.region! };
  return { everything: true };
}

/** Whether an application of `center` in `region` is within the operator's scope. */
export function inScope(operator: Operator, application: { center: string; region: string }): boolean {
  const scope = scopeOf(operator);
  if ("center" in scope) return application.center === scope.center;
  if ("region" in scope) return application.region === scope.region;
  return true;
}
