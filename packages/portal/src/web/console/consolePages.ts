// The console's pages: plain server-rendered HTML in the operator's language (Kazakh, Russian or
// English), every value escaped by `html`. No personal data goes into a URL: searches and views are POSTs.
import type { AuditEntry } from "@qoltanba/ca";
import {
  APPLICATION_STATUSES,
  DOCUMENT_TYPES,
  type ApplicationView,
} from "../../console/registrationConsole.ts";
import type { Reverification } from "../../auth/signedAction.ts";
import { REVOCATION_REASONS } from "../../console/decisions.ts";
import { can, ROLES } from "../../console/roles.ts";
import { fill, messages } from "../../i18n/index.ts";
import { formatDateTime, wordFor, type ConsoleMessages } from "../../i18n/console/index.ts";
import { centerByCode, localityByCode, regionByCode, REGISTRATION_CENTERS } from "../../locality/regions.ts";
import { storageLabel } from "../../pdf/applicationForm.ts";
import type { Operator, QueueRow } from "../../storage/consoleStore.ts";
import type { Decision } from "../../storage/signedActionStore.ts";
import { html, type Html } from "../html.ts";
import { csrf, placeName, type ConsoleContext } from "./consoleLayout.ts";

export const loginPage = ({ t }: ConsoleContext) =>
  html`<p>${t.loginText}</p>
    <button type="button" id="console-login">${t.loginButton}</button>`;

export const enrolPage = ({ t }: ConsoleContext) => html`<p id="enrol-note">${t.enrolNote}</p>`;

/** An instant as the operator reads it, with the exact one for machines. */
const when = (t: ConsoleMessages, date: Date) =>
  Number.isNaN(date.getTime())
    ? ""
    : html`<time datetime="${date.toISOString()}">${formatDateTime(t, date)}</time>`;

const centerName = (context: ConsoleContext, code: string) =>
  placeName(centerByCode(code), code, context.language);

export function queuePage(
  context: ConsoleContext,
  filter: Record<string, string>,
  rows: QueueRow[],
  next?: string,
): Html {
  const { t } = context;
  const field = (name: string, label: string, type = "text") =>
    html`<label
      >${label} <input type="${type}" name="${name}" id="q-${name}" value="${filter[name] ?? ""}"
    /></label>`;
  return html`<form method="post" action="/console/queue" id="queue-search" class="search">
      ${csrf(context)} ${field("number", t.applicationNumber)} ${field("iin", t.iin)}
      ${field("name", t.surname)}
      <label
        >${t.status}
        <select name="status" id="q-status">
          <option value="">${t.statusAny}</option>
          ${APPLICATION_STATUSES.map((status) => html`<option value="${status}" ${filter.status === status ? html` selected` : ""}>${t[`status_${status}`]}</option>`)}
        </select></label
      >
      ${field("from", t.from, "date")} ${field("to", t.to, "date")}
      <button type="submit" id="search">${t.search}</button>
    </form>
    <table id="queue">
      <thead>
        <tr>
          <th>${t.number}</th>
          <th>${t.status}</th>
          <th>${t.iin}</th>
          <th>${t.name}</th>
          <th>${t.center}</th>
          <th>${t.submitted}</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (row) =>
            html`<tr data-number="${row.number}" data-status="${row.status}">
              <td>${row.number}</td>
              <td>${t[`status_${row.status}`]}</td>
              <td>${row.iin ?? ""}</td>
              <td>${row.name ?? ""}</td>
              <td>${centerName(context, row.center)}</td>
              <td>${when(t, new Date(row.submittedAt))}</td>
              <td>
                <form method="post" action="/console/application">
                  ${csrf(context)}<input type="hidden" name="number" value="${row.number}" /><button
                    type="submit"
                  >
                    ${t.open}
                  </button>
                </form>
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${rows.length === 0 ? html`<p id="queue-empty">${t.queueEmpty}</p>` : ""}
    ${
      next
        ? html`<form method="post" action="/console/queue">
            ${csrf(context)}${Object.entries(filter).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}<input
              type="hidden"
              name="after"
              value="${next}"
            /><button type="submit" id="next-page">${t.nextPage}</button>
          </form>`
        : ""
    }`;
}

export function applicationPage(context: ConsoleContext, view: ApplicationView): Html {
  const { t, language } = context;
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
  const region = placeName(regionByCode(application.region), application.region, language);
  const locality = placeName(localityByCode(application.locality), application.locality, language);
  return html`<form method="post" action="/console/application" id="reopen">
      ${csrf(context)}<input type="hidden" name="number" value="${application.number}" />
    </form>
    <table id="application" data-number="${application.number}" data-status="${application.status}">
      ${row(t.applicationNumber, application.number)} ${row(t.status, t[`status_${application.status}`])}
      ${row(t.iin, person?.iin)}
      ${row(t.fullName, person ? [person.surname, person.givenName, person.patronymic].filter(Boolean).join(" ") : t.purged)}
      ${row(t.email, application.email)}
      ${row(t.regionLocality, `${region} / ${locality}`)}
      ${row(t.center, centerName(context, application.center))}
      ${row(t.storage, storageLabel(messages(language), application.storage))}
      ${row(t.authFingerprint, html`<code id="fingerprint-auth">${(fingerprints.auth ?? []).join("\n")}</code>`)}
      ${row(t.signFingerprint, html`<code id="fingerprint-sign">${(fingerprints.sign ?? []).join("\n")}</code>`)}
      ${row(t.submitted, when(t, application.submittedAt))}
      ${row(t.deadline, when(t, application.deadlineAt))}
      ${application.rejectionReason ? row(t.rejectionReason, application.rejectionReason) : ""}
      ${application.authSerial ? row(t.authCertificate, application.authSerial) : ""}
      ${application.signSerial ? row(t.signCertificate, application.signSerial) : ""}
    </table>
    <h2>${t.identityTitle}</h2>
    ${
      identityCheck
        ? html`<p id="identity-checked">
            ${fill(t.identityChecked, {
              document: wordFor(t, "document", identityCheck.documentType),
              number: identityCheck.documentNumber,
              operator: identityCheck.checkedByIin ?? String(identityCheck.checkedBy),
              at: formatDateTime(t, identityCheck.checkedAt),
            })}
          </p>`
        : html`<p id="identity-unchecked">${t.identityUnchecked}</p>`
    }
    ${
      waiting && can(operator, "decide")
        ? html`<form method="post" action="/console/application/identity" id="identity-form">
              ${csrf(context)}<input type="hidden" name="number" value="${application.number}" />
              <label
                >${t.document}
                <select name="documentType" id="document-type">
                  ${DOCUMENT_TYPES.map((type) => html`<option value="${type}">${t[`document_${type}`]}</option>`)}
                </select></label
              >
              <label
                >${t.documentNumber} <input name="documentNumber" id="document-number" required maxlength="20"
              /></label>
              <button type="submit" id="identity-save">${t.identitySave}</button>
            </form>
            <h2>${t.decision}</h2>
            <form class="decision" data-kind="confirm" id="confirm-form">
              <input type="hidden" name="application" value="${application.number}" />
              <p>${t.confirmNote}</p>
              <button type="submit" id="confirm">${t.confirmButton}</button>
            </form>
            <form class="decision" data-kind="reject" id="reject-form">
              <input type="hidden" name="application" value="${application.number}" />
              <label>${t.reason} <input name="reason" id="reject-reason" required maxlength="500" /></label>
              <button type="submit" id="reject">${t.rejectButton}</button>
            </form>
            ${
              can(operator, "reassign")
                ? html`<form method="post" action="/console/application/reassign" id="reassign-form">
                    ${csrf(context)}<input type="hidden" name="number" value="${application.number}" />
                    <label
                      >${t.moveTo}
                      <select name="center">
                        ${REGISTRATION_CENTERS.filter((center) => center.region === operator.region).map((center) => html`<option value="${center.code}">${center.name[language]}</option>`)}
                      </select></label
                    >
                    <button type="submit">${t.reassignButton}</button>
                  </form>`
                : ""
            }`
        : ""
    }
    ${
      issued && can(operator, "decide")
        ? html`<h2>${t.revokeTitle}</h2>
            <form class="decision" data-kind="revoke" id="revoke-form">
              <input type="hidden" name="application" value="${application.number}" />
              <label
                >${t.certificate}
                <select name="certificate" id="revoke-certificate">
                  <option value="${application.authSerial}">${t.authCertificate} ${application.authSerial}</option>
                  <option value="${application.signSerial}">${t.signCertificate} ${application.signSerial}</option>
                </select></label
              >
              <label
                >${t.reason}
                <select name="reason" id="revoke-reason">
                  ${REVOCATION_REASONS.map((reason) => html`<option value="${reason}">${t[`reason_${reason}`]}</option>`)}
                </select></label
              >
              <label
                >${t.writtenRequest} <input name="request" id="revoke-request" required maxlength="100"
              /></label>
              <button type="submit" id="revoke">${t.revokeButton}</button>
            </form>`
        : ""
    }
    <h2>${t.decisionsTitle}</h2>
    ${decisionTable(context, decisions, false)}`;
}

/** "applied", "pending", or "failed: <what the effect threw>" as stored. */
function outcomeText(t: ConsoleMessages, outcome: string): string {
  return outcome.startsWith("failed: ")
    ? fill(t.outcomeFailed, { detail: outcome.slice("failed: ".length) })
    : wordFor(t, "outcome", outcome);
}

function decisionTable(context: ConsoleContext, decisions: Decision[], reverify: boolean): Html {
  const { t } = context;
  return html`<table class="decisions">
    <thead>
      <tr>
        <th>#</th>
        <th>${t.decision}</th>
        <th>${t.application}</th>
        <th>${t.certificate}</th>
        <th>${t.signer}</th>
        <th>${t.at}</th>
        <th>${t.outcome}</th>
        ${reverify ? html`<th></th>` : ""}
      </tr>
    </thead>
    <tbody>
      ${decisions.map(
        (decision) =>
          html`<tr data-decision="${decision.id}" data-kind="${decision.kind}">
            <td>${decision.id}</td>
            <td>${t[`decision_${decision.kind}`]}</td>
            <td>${decision.applicationNumber ?? ""}</td>
            <td>${decision.certificateSerial ?? ""}</td>
            <td>${decision.signerSerial}</td>
            <td>${when(t, decision.at)}</td>
            <td>${outcomeText(t, decision.outcome)}</td>
            ${
              reverify
                ? html`<td>
                    <form method="post" action="/console/audit/reverify">
                      ${csrf(context)}<input type="hidden" name="id" value="${decision.id}" /><button
                        type="submit"
                      >
                        ${t.reverify}
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
  const { t } = context;
  return html`${
    reverified
      ? html`<div
            id="reverified"
            class="${reverified.result.valid ? "success" : "error"}"
            data-valid="${String(reverified.result.valid)}"
          >
            ${
              reverified.result.valid
                ? fill(t.reverifiedValid, {
                    id: String(reverified.decision.id),
                    subject: reverified.result.subject ?? "",
                  })
                : html`${fill(t.reverifiedInvalid, { id: String(reverified.decision.id) })}
                    <ul>
                      ${reverified.result.problems.map((problem) => html`<li><code>${problem}</code></li>`)}
                    </ul>`
            }
            <pre>${reverified.decision.document}</pre>
          </div>`
      : ""
  }
    <p id="chain-status">
      ${
        chain.problems === 0
          ? fill(t.chainIntact, { count: String(chain.count) })
          : fill(t.chainBroken, { count: String(chain.count), problems: String(chain.problems) })
      }
    </p>
    <h2>${t.decisionsTitle}</h2>
    ${decisionTable(context, decisions, true)}
    <h2>${t.logTitle}</h2>
    <table id="audit-log">
      <thead>
        <tr>
          <th>#</th>
          <th>${t.at}</th>
          <th>${t.action}</th>
          <th>${t.details}</th>
        </tr>
      </thead>
      <tbody>
        ${entries.map(
          (entry) =>
            html`<tr>
              <td>${entry.seq}</td>
              <td>${when(t, new Date(entry.at)) || entry.at}</td>
              <td><code>${entry.action}</code></td>
              <td><code>${entry.details}</code></td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

export function operatorsPage(context: ConsoleContext, operators: Operator[], link?: string): Html {
  const { t, language } = context;
  const place = (operator: Operator) =>
    operator.center
      ? placeName(centerByCode(operator.center), operator.center, language)
      : operator.region
        ? placeName(regionByCode(operator.region), operator.region, language)
        : "";
  return html`${link ? html`<div class="success" id="enrolment-link">${t.enrolmentLink} <code>${link}</code></div>` : ""}
    <table id="operators">
      <thead>
        <tr>
          <th>#</th>
          <th>${t.iin}</th>
          <th>${t.role}</th>
          <th>${t.centerOrRegion}</th>
          <th>${t.status}</th>
          <th>${t.authCertificate}</th>
        </tr>
      </thead>
      <tbody>
        ${operators.map(
          (operator) =>
            html`<tr data-role="${operator.role}" data-status="${operator.status}">
              <td>${operator.id}</td>
              <td>${operator.iin}</td>
              <td>${t[`role_${operator.role}`]}</td>
              <td>${place(operator)}</td>
              <td>${t[`operatorStatus_${operator.status}`]}</td>
              <td>${operator.authSerial ?? ""}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h2>${t.addOperatorTitle}</h2>
    <form method="post" action="/console/operators">
      ${csrf(context)}
      <label>${t.iin} <input name="iin" required pattern="[0-9]{12}" /></label>
      <label
        >${t.role}
        <select name="role">
          ${ROLES.map((role) => html`<option value="${role}">${t[`role_${role}`]}</option>`)}
        </select></label
      >
      <label>${t.centerField} <input name="center" /></label>
      <label>${t.regionField} <input name="region" /></label>
      <button type="submit">${t.addButton}</button>
    </form>`;
}
