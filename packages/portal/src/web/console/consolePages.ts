// The console's pages: plain server-rendered HTML in English (operators' working language here),
// every value escaped by `html`. No personal data goes into a URL: searches and views are POSTs.
import type { AuditEntry } from "@qoltanba/ca";
import type { ApplicationView } from "../../console/registrationConsole.ts";
import type { Reverification } from "../../auth/signedAction.ts";
import { REVOCATION_REASONS } from "../../console/decisions.ts";
import { can, ROLES } from "../../console/roles.ts";
import { REGISTRATION_CENTERS } from "../../locality/regions.ts";
import type { Operator, QueueRow } from "../../storage/consoleStore.ts";
import type { Decision } from "../../storage/signedActionStore.ts";
import { html, type Html } from "../html.ts";

export interface ConsoleContext {
  readonly csrfToken: string;
  readonly agentUrl: string;
  readonly operator?: Operator;
}

const csrf = (context: ConsoleContext) =>
  html`<input type="hidden" name="_csrf" value="${context.csrfToken}" />`;

export function consoleLayout(context: ConsoleContext, title: string, body: Html, error?: string): Html {
  const operator = context.operator;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="csrf-token" content="${context.csrfToken}" />
        <meta name="agent-url" content="${context.agentUrl}" />
        <title>${title} — Qoltanba Registration Center</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/static/portal.css" />
        <script type="module" src="/static/console.js"></script>
      </head>
      <body>
        <header class="top">
          <div class="brand"><a href="/console">Qoltanba — Registration Center</a></div>
          ${
            operator
              ? html`<nav class="tabs" aria-label="Console">
                  ${can(operator, "queue") ? html`<a href="/console/queue">Work queue</a>` : ""}
                  ${can(operator, "audit") ? html`<a href="/console/audit">Audit</a>` : ""}
                  ${can(operator, "manage") ? html`<a href="/console/operators">Operators</a>` : ""}
                  <span id="signed-in"
                    >${operator.role}
                    ${operator.iin}${operator.center ? ` · ${operator.center}` : ""}${operator.region && !operator.center ? ` · ${operator.region}` : ""}</span
                  >
                  <form method="post" action="/console/logout" class="inline">
                    ${csrf(context)}<button type="submit" id="logout">Log out</button>
                  </form>
                </nav>`
              : ""
          }
        </header>
        <main id="main">
          <h1>${title}</h1>
          ${error ? html`<div class="error" role="alert" id="console-error">${error}</div>` : ""}
          <div id="agent-status" class="agent-status" role="status" aria-live="polite"></div>
          ${body}
        </main>
      </body>
    </html>`;
}

export const loginPage = () =>
  html`<p>Sign in with your operator certificate: the agent signs a one-time challenge with your AUTH key.</p>
    <button type="button" id="console-login">Sign in with the certificate</button>`;

export const enrolPage = () => html`<p id="enrol-note">Opening your enrolment…</p>`;

const statuses = ["", "submitted", "confirmed", "issued", "installed", "rejected", "expired"];

export function queuePage(
  context: ConsoleContext,
  filter: Record<string, string>,
  rows: QueueRow[],
  next?: string,
): Html {
  const field = (name: string, label: string, type = "text") =>
    html`<label
      >${label} <input type="${type}" name="${name}" id="q-${name}" value="${filter[name] ?? ""}"
    /></label>`;
  return html`<form method="post" action="/console/queue" id="queue-search" class="search">
      ${csrf(context)} ${field("number", "Application number")} ${field("iin", "IIN")}
      ${field("name", "Surname")}
      <label
        >Status
        <select name="status" id="q-status">
          ${statuses.map((status) => html`<option value="${status}" ${filter.status === status ? html` selected` : ""}>${status || "any"}</option>`)}
        </select></label
      >
      ${field("from", "From", "date")} ${field("to", "To", "date")}
      <button type="submit" id="search">Search</button>
    </form>
    <table id="queue">
      <thead>
        <tr>
          <th>Number</th>
          <th>Status</th>
          <th>IIN</th>
          <th>Name</th>
          <th>Center</th>
          <th>Submitted</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (row) =>
            html`<tr data-number="${row.number}">
              <td>${row.number}</td>
              <td>${row.status}</td>
              <td>${row.iin ?? ""}</td>
              <td>${row.name ?? ""}</td>
              <td>${row.center}</td>
              <td>${row.submittedAt.slice(0, 16).replace("T", " ")}</td>
              <td>
                <form method="post" action="/console/application">
                  ${csrf(context)}<input type="hidden" name="number" value="${row.number}" /><button
                    type="submit"
                  >
                    Open
                  </button>
                </form>
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${rows.length === 0 ? html`<p id="queue-empty">No applications match.</p>` : ""}
    ${
      next
        ? html`<form method="post" action="/console/queue">
            ${csrf(context)}${Object.entries(filter).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}<input
              type="hidden"
              name="after"
              value="${next}"
            /><button type="submit" id="next-page">Next page</button>
          </form>`
        : ""
    }`;
}

export function applicationPage(context: ConsoleContext, view: ApplicationView): Html {
  const { application, fingerprints, identityCheck, decisions } = view;
  const person = application.person;
  const waiting = application.status === "submitted" || application.status === "confirmed";
  const issued = application.status === "issued" || application.status === "installed";
  const operator = context.operator!;
  const row = (label: string, value: Html | string | undefined) =>
    html`<tr>
      <th>${label}</th>
      <td>${value ?? ""}</td>
    </tr>`;
  return html`<form method="post" action="/console/application" id="reopen">
      ${csrf(context)}<input type="hidden" name="number" value="${application.number}" />
    </form>
    <table id="application" data-number="${application.number}" data-status="${application.status}">
      ${row("Application number", application.number)} ${row("Status", application.status)}
      ${row("IIN", person?.iin)}
      ${row("Surname, name, patronymic", person ? [person.surname, person.givenName, person.patronymic].filter(Boolean).join(" ") : "(purged)")}
      ${row("E-mail", application.email)}
      ${row("Region / locality", `${application.region} / ${application.locality}`)}
      ${row("Registration Center", application.center)} ${row("Key storage", application.storage)}
      ${row("AUTH key SHA-256", html`<code id="fingerprint-auth">${(fingerprints.auth ?? []).join("\n")}</code>`)}
      ${row("SIGN key SHA-256", html`<code id="fingerprint-sign">${(fingerprints.sign ?? []).join("\n")}</code>`)}
      ${row("Submitted", application.submittedAt.toISOString())}
      ${row("Deadline", application.deadlineAt.toISOString())}
      ${application.rejectionReason ? row("Rejection reason", application.rejectionReason) : ""}
      ${application.authSerial ? row("AUTH certificate", application.authSerial) : ""}
      ${application.signSerial ? row("SIGN certificate", application.signSerial) : ""}
    </table>
    <h2>Identity checklist</h2>
    ${
      identityCheck
        ? html`<p id="identity-checked">
            Checked: ${identityCheck.documentType} ${identityCheck.documentNumber}, by operator
            ${identityCheck.checkedByIin ?? identityCheck.checkedBy} at
            ${identityCheck.checkedAt.toISOString()}
          </p>`
        : html`<p id="identity-unchecked">The identity document is not checked yet.</p>`
    }
    ${
      waiting && can(operator, "decide")
        ? html`<form method="post" action="/console/application/identity" id="identity-form">
              ${csrf(context)}<input type="hidden" name="number" value="${application.number}" />
              <label
                >Document
                <select name="documentType" id="document-type">
                  <option value="id-card">ID card</option>
                  <option value="passport">Passport</option>
                  <option value="residence-permit">Residence permit</option>
                </select></label
              >
              <label
                >Document number <input name="documentNumber" id="document-number" required maxlength="20"
              /></label>
              <button type="submit" id="identity-save">Record the check</button>
            </form>
            <h2>Decision</h2>
            <form class="decision" data-kind="confirm" id="confirm-form">
              <input type="hidden" name="application" value="${application.number}" />
              <p>The person was seen and the paper form's fingerprints match the ones above.</p>
              <button type="submit" id="confirm">Confirm and issue (sign with the SIGN key)</button>
            </form>
            <form class="decision" data-kind="reject" id="reject-form">
              <input type="hidden" name="application" value="${application.number}" />
              <label>Reason <input name="reason" id="reject-reason" required maxlength="500" /></label>
              <button type="submit" id="reject">Reject (sign with the SIGN key)</button>
            </form>
            ${
              can(operator, "reassign")
                ? html`<form method="post" action="/console/application/reassign" id="reassign-form">
                    ${csrf(context)}<input type="hidden" name="number" value="${application.number}" />
                    <label
                      >Move to
                      <select name="center">
                        ${REGISTRATION_CENTERS.filter((center) => center.region === operator.region).map((center) => html`<option value="${center.code}">${center.name.en}</option>`)}
                      </select></label
                    >
                    <button type="submit">Reassign</button>
                  </form>`
                : ""
            }`
        : ""
    }
    ${
      issued && can(operator, "decide")
        ? html`<h2>Revocation on the person's written request</h2>
            <form class="decision" data-kind="revoke" id="revoke-form">
              <input type="hidden" name="application" value="${application.number}" />
              <label
                >Certificate
                <select name="certificate" id="revoke-certificate">
                  <option value="${application.authSerial}">AUTH ${application.authSerial}</option>
                  <option value="${application.signSerial}">SIGN ${application.signSerial}</option>
                </select></label
              >
              <label
                >Reason
                <select name="reason" id="revoke-reason">
                  ${REVOCATION_REASONS.map((reason) => html`<option value="${reason}">${reason}</option>`)}
                </select></label
              >
              <label
                >Written request reference <input name="request" id="revoke-request" required maxlength="100"
              /></label>
              <button type="submit" id="revoke">Revoke (sign with the SIGN key)</button>
            </form>`
        : ""
    }
    <h2>Signed decisions</h2>
    ${decisionTable(decisions)}`;
}

function decisionTable(decisions: Decision[], context?: ConsoleContext): Html {
  return html`<table class="decisions">
    <thead>
      <tr>
        <th>#</th>
        <th>Decision</th>
        <th>Application</th>
        <th>Certificate</th>
        <th>Signer</th>
        <th>At</th>
        <th>Outcome</th>
        ${context ? html`<th></th>` : ""}
      </tr>
    </thead>
    <tbody>
      ${decisions.map(
        (decision) =>
          html`<tr data-decision="${decision.id}">
            <td>${decision.id}</td>
            <td>${decision.kind}</td>
            <td>${decision.applicationNumber ?? ""}</td>
            <td>${decision.certificateSerial ?? ""}</td>
            <td>${decision.signerSerial}</td>
            <td>${decision.at.toISOString()}</td>
            <td>${decision.outcome}</td>
            ${
              context
                ? html`<td>
                    <form method="post" action="/console/audit/reverify">
                      ${csrf(context)}<input type="hidden" name="id" value="${decision.id}" /><button
                        type="submit"
                      >
                        Re-verify
                      </button>
                    </form>
                  </td>`
                : ""
            }
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function auditPage(
  context: ConsoleContext,
  decisions: Decision[],
  entries: AuditEntry[],
  chain: { count: number; problems: number },
  reverified?: { decision: Decision; result: Reverification },
): Html {
  return html`${
      reverified
        ? html`<div
            id="reverified"
            class="${reverified.result.valid ? "success" : "error"}"
            data-valid="${String(reverified.result.valid)}"
          >
            Decision ${reverified.decision.id}:
            ${
              reverified.result.valid
                ? `the signature verifies (${reverified.result.subject ?? ""})`
                : reverified.result.problems.join("; ")
            }
            <pre>${reverified.decision.document}</pre>
          </div>`
        : ""
    }
    <p id="chain-status">
      Console log: ${chain.count} entries,
      ${chain.problems === 0 ? "the hash chain is intact" : `${chain.problems} problem(s)`}.
    </p>
    <h2>Signed decisions</h2>
    ${decisionTable(decisions, context)}
    <h2>Log</h2>
    <table id="audit-log">
      <thead>
        <tr>
          <th>#</th>
          <th>At</th>
          <th>Action</th>
          <th>Details</th>
        </tr>
      </thead>
      <tbody>
        ${entries.map(
          (entry) =>
            html`<tr>
              <td>${entry.seq}</td>
              <td>${entry.at}</td>
              <td>${entry.action}</td>
              <td><code>${entry.details}</code></td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

export function operatorsPage(context: ConsoleContext, operators: Operator[], link?: string): Html {
  return html`${link ? html`<div class="success" id="enrolment-link">One-time enrolment link (shown once): <code>${link}</code></div>` : ""}
    <table id="operators">
      <thead>
        <tr>
          <th>#</th>
          <th>IIN</th>
          <th>Role</th>
          <th>Center / region</th>
          <th>Status</th>
          <th>AUTH</th>
        </tr>
      </thead>
      <tbody>
        ${operators.map(
          (operator) =>
            html`<tr>
              <td>${operator.id}</td>
              <td>${operator.iin}</td>
              <td>${operator.role}</td>
              <td>${operator.center ?? operator.region ?? ""}</td>
              <td>${operator.status}</td>
              <td>${operator.authSerial ?? ""}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h2>Add an operator</h2>
    <form method="post" action="/console/operators">
      ${csrf(context)}
      <label>IIN <input name="iin" required pattern="[0-9]{12}" /></label>
      <label
        >Role
        <select name="role">
          ${ROLES.map((role) => html`<option value="${role}">${role}</option>`)}
        </select></label
      >
      <label>Center (operator) <input name="center" /></label>
      <label>Region (supervisor) <input name="region" /></label>
      <button type="submit">Add and make the link</button>
    </form>`;
}
