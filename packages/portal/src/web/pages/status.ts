import { formatApplicationNumber } from "../../enrollment/applicationNumber.ts";
import { KEY_STORAGES, type KeyStorageKind } from "../../enrollment/keyStorage.ts";
import { formatDate, type Language } from "../../i18n/index.ts";
import { storageLabel } from "../../pdf/applicationForm.ts";
import type { Application } from "../../storage/portalStore.ts";
import { html, raw, type Html } from "../html.ts";
import { csrfField, errorBox, type PageContext } from "../layout.ts";
import { agentStatus } from "./apply.ts";

export function statusForm(
  context: PageContext,
  values: { number?: string; iin?: string },
  error?: string,
): Html {
  const { t } = context;
  return html`<p>${t.statusIntro}</p>${errorBox(error)}
<form method="post" action="/status" autocomplete="off">
  ${csrfField(context)}
  <div class="field"><label for="number">${t.applicationNumber} *</label>
    <input type="text" id="number" name="number" inputmode="numeric" maxlength="24" required value="${values.number ?? ""}"></div>
  <div class="field"><label for="iin">${t.iinLabel} *</label>
    <input type="text" id="iin" name="iin" inputmode="numeric" maxlength="12" pattern="[0-9]{12}" required value="${values.iin ?? ""}"></div>
  <button type="submit">${t.searchButton}</button>
</form>`;
}

export interface IssuedView {
  readonly authPem: string;
  readonly signPem: string;
  readonly chainPem: string[];
  readonly notAfter: Date[];
}

export function statusResult(
  context: PageContext,
  application: Application,
  issued: IssuedView | undefined,
): Html {
  const { t, language } = context;
  const stage = t[`stage_${application.status}`];
  const person = application.person!;
  const installable = issued && (application.status === "issued" || application.status === "installed");
  const installData = installable
    ? JSON.stringify({
        applicationId: application.number,
        iin: person.iin,
        storage: KEY_STORAGES[application.storage as KeyStorageKind].agentStorage,
        certificates: [issued.authPem, issued.signPem],
        chain: issued.chainPem,
      })
    : "";
  return html`
<table>
  <tr><th scope="row">${t.applicationNumber}</th><td class="mono">${formatApplicationNumber(application.number)}</td></tr>
  <tr><th scope="row">${t.formPerson}</th><td>${[person.surname, person.givenName, person.patronymic].filter(Boolean).join(" ")}</td></tr>
  <tr><th scope="row">${t.statusLabel}</th><td id="application-status" data-status="${application.status}"><strong>${stage}</strong>
    ${application.rejectionReason ? html`<br>${t.rejectionReason}: ${application.rejectionReason}` : ""}</td></tr>
  <tr><th scope="row">${t.submittedOn}</th><td>${formatDate(application.submittedAt)}</td></tr>
  ${application.status === "submitted" ? html`<tr><th scope="row">${t.deadline}</th><td>${formatDate(application.deadlineAt)}</td></tr>` : ""}
</table>
${application.status === "submitted" ? formDownload(context, application.number, person.iin, language) : ""}
${
  issued
    ? html`<h2>${t.issuedCertificates}</h2>
<table>
  <tr><th>${t.certificateAuth}</th><td>${t.serial}: <span class="mono">${application.authSerial}</span><br>${t.validUntil}: ${formatDate(issued.notAfter[0]!)}</td></tr>
  <tr><th>${t.certificateSign}</th><td>${t.serial}: <span class="mono">${application.signSerial}</span><br>${t.validUntil}: ${formatDate(issued.notAfter[1]!)}</td></tr>
</table>`
    : ""
}
${
  installable
    ? html`<h2>${t.keyStorageData}</h2>
<p>${t.storage}: <strong>${storageLabel(t, application.storage)}</strong></p>
<p class="hint">${application.storage === "file" ? t.keyStorageRemembered : t.keyStorageToken}</p>
${application.status === "installed" ? html`<div class="success" role="status">${t.installed}</div>` : ""}
<form id="install-form" method="post" action="/status/installed">
  ${csrfField(context)}
  <script type="application/json" id="install-data">${raw(installData.replace(/</g, "\\u003c"))}</script>
  ${agentStatus(t)}
  <button type="submit" id="install-certificates">${t.installButton}</button>
  ${application.storage === "file" ? html`<button type="submit" id="change-folder" class="secondary">${t.changeFolderButton}</button>` : ""}
</form>`
    : ""
}`;
}

function formDownload(context: PageContext, number: string, iin: string, language: Language): Html {
  const { t } = context;
  return html`<form method="post" action="/status/form.pdf">
  ${csrfField(context)}
  <input type="hidden" name="number" value="${number}"><input type="hidden" name="iin" value="${iin}"><input type="hidden" name="lang" value="${language}">
  <button type="submit">${t.downloadForm}</button>
</form>`;
}
