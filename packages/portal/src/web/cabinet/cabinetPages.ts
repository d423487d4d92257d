// The personal cabinet's pages, in the person's language: the login, and the cabinet itself (the
// person's certificates with downloads and revocation, their applications, renewal).
import type { CabinetCertificate } from "../../cabinet/personalCabinet.ts";
import { REVOCATION_REASONS } from "../../console/decisions.ts";
import { formatApplicationNumber } from "../../enrollment/applicationNumber.ts";
import { KEY_STORAGE_KINDS, KEY_STORAGES } from "../../enrollment/keyStorage.ts";
import { fill, formatDate, type Messages } from "../../i18n/index.ts";
import { storageLabel } from "../../pdf/applicationForm.ts";
import type { Application } from "../../storage/portalStore.ts";
import { html, type Html } from "../html.ts";
import { csrfField, type PageContext } from "../layout.ts";

/** The status line the page script writes to; its texts in the page's language. */
function cabinetStatus(t: Messages): Html {
  return html`<div
    class="agent-status"
    id="agent-status"
    aria-live="polite"
    data-working="${t.agentWorking}"
    data-signing="${t.cabinetSigning}"
    data-cancelled="${t.agentCancelled}"
    data-failed="${t.agentFailed}"
    data-revoked="${t.cabinetRevoked}"
  ></div>`;
}

const script = html`<script type="module" src="/static/cabinet.js"></script>`;

export function cabinetLoginPage(context: PageContext): Html {
  const { t } = context;
  return html`<p>${t.cabinetText}</p>
    ${cabinetStatus(t)}
    <button type="button" id="cabinet-login">${t.cabinetLogin}</button>
    ${script}`;
}

export interface CabinetView {
  readonly iin: string;
  readonly name: string;
  readonly certificates: readonly CabinetCertificate[];
  readonly applications: readonly Application[];
  readonly canRenew: boolean;
}

export function cabinetHomePage(context: PageContext, view: CabinetView): Html {
  const { t } = context;
  const reasons = t as unknown as Record<string, string>;
  return html`<p id="signed-in">${fill(t.cabinetSignedIn, { name: view.name, iin: view.iin })}</p>
    <form method="post" action="/cabinet/logout" class="inline">
      ${csrfField(context)}<button type="submit" id="logout">${t.cabinetLogout}</button>
    </form>
    ${cabinetStatus(t)}
    <h2>${t.cabinetCertificates}</h2>
    ${
      view.certificates.length === 0
        ? html`<p>${t.cabinetNoCertificates}</p>`
        : html`<table id="certificates">
            <tr>
              <th>${t.certPurpose}</th>
              <th>${t.serial}</th>
              <th>${t.certValidity}</th>
              <th>${t.certState}</th>
              <th>${t.certDownload}</th>
              <th>${t.revokeButton}</th>
            </tr>
            ${view.certificates.map(
              (certificate) =>
                html`<tr data-serial="${certificate.serial}" data-state="${certificate.state}">
                  <td>${certificate.purpose === "auth" ? t.certificateAuth : t.certificateSign}</td>
                  <td class="mono">${certificate.serial}</td>
                  <td>${formatDate(certificate.notAfter)}</td>
                  <td class="state">${reasons[`state_${certificate.state}`]}</td>
                  <td>
                    <a href="/cabinet/certificates/${certificate.serial}.cer">DER</a> ·
                    <a href="/cabinet/certificates/${certificate.serial}.pem">PEM</a>
                  </td>
                  <td>
                    ${
                      certificate.state === "revoked" || certificate.state === "expired"
                        ? ""
                        : html`<form class="revoke inline" data-serial="${certificate.serial}">
                            <label
                              >${t.revokeReason}
                              <select name="reason">
                                ${REVOCATION_REASONS.map(
                                  (reason) =>
                                    html`<option value="${reason}">${reasons[`reason_${reason}`]}</option>`,
                                )}
                              </select></label
                            >
                            <button type="submit">${t.revokeButton}</button>
                          </form>`
                    }
                  </td>
                </tr>`,
            )}
          </table>`
    }
    <h2>${t.cabinetApplications}</h2>
    <table id="applications">
      ${view.applications.map(
        (application) =>
          html`<tr data-number="${application.number}" data-status="${application.status}">
            <td class="mono">${formatApplicationNumber(application.number)}</td>
            <td>${reasons[`stage_${application.status}`]}</td>
            <td>${formatDate(application.submittedAt)}</td>
          </tr>`,
      )}
    </table>
    <h2>${t.renewTitle}</h2>
    ${
      view.canRenew
        ? html`<p>${t.renewText}</p>
            <label
              >${t.storage}
              <select id="renew-storage">
                ${KEY_STORAGE_KINDS.map(
                  (kind) =>
                    html`<option value="${kind}" data-agent-storage="${KEY_STORAGES[kind].agentStorage}">
                      ${storageLabel(t, kind)}
                    </option>`,
                )}
              </select></label
            >
            <button type="button" id="renew">${t.renewButton}</button>
            <form id="install-renewed" method="post" action="/status" hidden>
              ${csrfField(context)}
              <input type="hidden" name="number" value="" />
              <input type="hidden" name="iin" value="${view.iin}" />
            </form>`
        : html`<p>${t.renewNoSignKey}</p>`
    }
    ${script}`;
}
