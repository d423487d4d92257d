import { formatApplicationNumber } from "../../enrollment/applicationNumber.ts";
import { KEY_STORAGE_KINDS, KEY_STORAGES } from "../../enrollment/keyStorage.ts";
import { fill, formatDate, type Messages } from "../../i18n/index.ts";
import { REGIONS, REGISTRATION_CENTERS } from "../../locality/regions.ts";
import { storageLabel } from "../../pdf/applicationForm.ts";
import type { Person } from "../../storage/portalStore.ts";
import { html, type Html } from "../html.ts";
import { csrfField, errorBox, type PageContext } from "../layout.ts";

export function individualsPage(context: PageContext): Html {
  const { t } = context;
  return html`<p>${t.individualsText}</p>
    <p>${t.individualsNeed}</p>
    <p><a class="button" href="/apply">${t.applyButton}</a></p>`;
}

export function agreementPage(context: PageContext, error?: string): Html {
  const { t } = context;
  return html`${errorBox(error)}
    <form method="post" action="/apply">
      ${csrfField(context)}
      <p>${t.agreementText}</p>
      <div class="field">
        <label><input type="checkbox" name="agree" value="yes" required /> ${t.agreementCheck}</label>
      </div>
      <button type="submit">${t.confirmButton}</button>
    </form>`;
}

export function identityPage(
  context: PageContext,
  captcha: { id: string; svg: string },
  values: { iin?: string },
  error?: { message: string; advice?: boolean },
): Html {
  const { t } = context;
  return html`${errorBox(error?.message)}
    <form method="post" action="/apply/identity" autocomplete="off">
      ${csrfField(context)}
      <input type="hidden" name="captchaId" value="${captcha.id}" />
      <div class="field captcha">
        <img
          src="data:image/svg+xml;base64,${Buffer.from(captcha.svg).toString("base64")}"
          width="180"
          height="60"
          alt="${t.captchaAlt}"
        />
        <a href="/apply/identity">${t.captchaNew}</a>
      </div>
      <div class="field">
        <label for="captcha">${t.captchaLabel} *</label>
        <input
          type="text"
          id="captcha"
          name="captcha"
          inputmode="numeric"
          maxlength="12"
          required
          autofocus
        />
      </div>
      <div class="field">
        <label for="iin">${t.iinLabel} *</label>
        <input
          type="text"
          id="iin"
          name="iin"
          inputmode="numeric"
          maxlength="12"
          pattern="[0-9]{12}"
          required
          value="${values.iin ?? ""}"
          aria-describedby="iin-hint"
        />
        <p class="hint" id="iin-hint">${t.iinHint}</p>
      </div>
      <button type="submit">${t.checkIinButton}</button>
    </form>`;
}

export interface DetailsValues {
  readonly email?: string;
  readonly emailRepeat?: string;
  readonly region?: string;
  readonly locality?: string;
  readonly center?: string;
  readonly storage?: string;
}

export function detailsPage(
  context: PageContext,
  person: Person,
  applicationNumber: string,
  values: DetailsValues,
  error?: string,
): Html {
  const { t, language } = context;
  const selected = (value: string, current: string | undefined) =>
    value === current ? html` selected` : html``;
  return html`${errorBox(error)}
    <form
      method="post"
      action="/apply/submit"
      id="application-form"
      data-application-id="${applicationNumber}"
    >
      ${csrfField(context)}
      <fieldset>
        <legend>${t.detailsData}</legend>
        <div class="field">
          <label for="iin">${t.iinLabel}</label
          ><input type="text" id="iin" name="iin" value="${person.iin}" readonly />
        </div>
        <div class="field">
          <label for="surname">${t.surname}</label
          ><input type="text" id="surname" value="${person.surname}" readonly />
        </div>
        <div class="field">
          <label for="givenName">${t.givenName}</label
          ><input type="text" id="givenName" value="${person.givenName}" readonly />
        </div>
        <div class="field">
          <label for="patronymic">${t.patronymic}</label
          ><input type="text" id="patronymic" value="${person.patronymic ?? ""}" readonly />
        </div>
        <div class="field">
          <label for="email">${t.email}</label>
          <input
            type="email"
            id="email"
            name="email"
            maxlength="254"
            autocomplete="email"
            value="${values.email ?? ""}"
            aria-describedby="email-hint"
          />
          <p class="hint notice" id="email-hint">${t.emailHint}</p>
        </div>
        <div class="field">
          <label for="emailRepeat">${t.emailRepeat}</label>
          <input
            type="email"
            id="emailRepeat"
            name="emailRepeat"
            maxlength="254"
            autocomplete="off"
            value="${values.emailRepeat ?? ""}"
          />
        </div>
        <p class="hint">${t.localityHint}</p>
        <div class="field">
          <label for="region">${t.region} *</label>
          <select id="region" name="region" required>
            <option value="">${t.chooseRegion}</option>
            ${REGIONS.map((region) => html`<option value="${region.code}" ${selected(region.code, values.region)}>${region.name[language]}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="locality">${t.locality} *</label>
          <select id="locality" name="locality" required>
            <option value="">${t.chooseLocality}</option>
            ${REGIONS.map(
              (region) =>
                html`<optgroup label="${region.name[language]}" data-region="${region.code}">
                  ${region.localities.map(
                    (locality) =>
                      html`<option value="${locality.code}" ${selected(locality.code, values.locality)}>
                        ${locality.name[language]}
                      </option>`,
                  )}
                </optgroup>`,
            )}
          </select>
        </div>
        <div class="field">
          <label for="center">${t.center} *</label>
          <select id="center" name="center" required>
            <option value="">${t.chooseCenter}</option>
            ${REGIONS.map(
              (region) =>
                html`<optgroup label="${region.name[language]}" data-region="${region.code}">
                  ${REGISTRATION_CENTERS.filter((center) => center.region === region.code).map(
                    (center) =>
                      html`<option value="${center.code}" ${selected(center.code, values.center)}>
                        ${center.name[language]}
                      </option>`,
                  )}
                </optgroup>`,
            )}
          </select>
        </div>
      </fieldset>
      <fieldset>
        <legend>${t.storageSection}</legend>
        <div class="field">
          <label for="storage">${t.storage} *</label>
          <select id="storage" name="storage" required>
            ${KEY_STORAGE_KINDS.map(
              (kind) =>
                html`<option
                  value="${kind}"
                  data-agent-storage="${KEY_STORAGES[kind].agentStorage}"
                  ${selected(kind, values.storage ?? "file")}
                >
                  ${storageLabel(t, kind)}
                </option>`,
            )}
          </select>
          <p class="hint">${t.storagePathNote}</p>
        </div>
      </fieldset>
      <noscript><div class="notice">${t.noScript}</div></noscript>
      ${agentStatus(t)}
      <input type="hidden" name="authCsr" value="" />
      <input type="hidden" name="signCsr" value="" />
      <button type="submit" id="submit-application">${t.submitButton}</button>
    </form>`;
}

/** The agent's state, filled in by the page script; the texts are here so every language has them. */
export function agentStatus(t: Messages): Html {
  return html`<div
    class="agent-status"
    id="agent-status"
    aria-live="polite"
    data-checking="${t.agentChecking}"
    data-ready="${t.agentReady}"
    data-missing="${t.agentMissing}"
    data-retry="${t.agentRetry}"
    data-working="${t.agentWorking}"
    data-cancelled="${t.agentCancelled}"
    data-failed="${t.agentFailed}"
    data-install-working="${t.installWorking}"
    data-installed="${t.installed}"
    data-not-connected="${t.storageNotConnected}"
  ></div>`;
}

export function donePage(
  context: PageContext,
  number: string,
  deadline: Date,
  email: string | undefined,
): Html {
  const { t } = context;
  return html`<div class="success" role="status">${t.keysCreated}</div>
    <p>${t.applicationNumber}:</p>
    <p class="number-big" id="application-number">${formatApplicationNumber(number)}</p>
    <div class="notice">${t.keepNumber}</div>
    <div class="notice">${fill(t.deadlineWarning, { date: formatDate(deadline) })}</div>
    ${email ? html`<p>${fill(t.emailSent, { email })}</p>` : ""}
    <p>
      ${t.downloadForm}: <a href="/apply/form.pdf?lang=kk" id="form-kk">${t.formKk}</a> ·
      <a href="/apply/form.pdf?lang=ru" id="form-ru">${t.formRu}</a> ·
      <a href="/apply/form.pdf?lang=en" id="form-en">${t.formEn}</a>
    </p>`;
}
