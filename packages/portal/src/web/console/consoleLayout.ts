// The frame of every console page, in the operator's language (the portal's cookie and /lang route),
// with the texts the page script shows handed over as data attributes of its status line.
import { LANGUAGES, messages, type Language } from "../../i18n/index.ts";
import type { ConsoleMessages } from "../../i18n/console/index.ts";
import { can } from "../../console/roles.ts";
import { centerByCode, regionByCode, type LocalName } from "../../locality/regions.ts";
import type { Operator } from "../../storage/consoleStore.ts";
import { html, type Html } from "../html.ts";

/**
 * Where the language switch brings the operator back: a page reached by GET is asked for again; a
 * page shown by a POST (a search, an application: no personal data in URLs) is posted again with
 * these fields, through /lang's 307. An action (a check recorded, an operator added) is never repeated.
 */
export interface Reopen {
  readonly path: string;
  readonly fields?: Readonly<Record<string, string>>;
}

export interface ConsoleContext {
  readonly language: Language;
  readonly t: ConsoleMessages;
  readonly csrfToken: string;
  readonly agentUrl: string;
  readonly operator?: Operator;
  readonly reopen: Reopen;
}

export const csrf = (context: ConsoleContext) =>
  html`<input type="hidden" name="_csrf" value="${context.csrfToken}" />`;

/** A center's, region's or locality's name in the language; the stored code when the code is unknown. */
export const placeName = (place: { name: LocalName } | undefined, code: string, language: Language) =>
  place?.name[language] ?? code;

export function consoleLayout(context: ConsoleContext, title: string, body: Html, error?: string): Html {
  const { language, t, operator } = context;
  const portal = messages(language);
  return html`<!doctype html>
    <html lang="${language}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="csrf-token" content="${context.csrfToken}" />
        <meta name="agent-url" content="${context.agentUrl}" />
        <title>${title} — ${t.brand}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/static/portal.css" />
        <script type="module" src="/static/console.js"></script>
      </head>
      <body>
        <header class="top">
          <div class="brand"><a href="/console">${t.brand}</a></div>
          <nav aria-label="${portal.languageLabel}" class="languages">${languageSwitch(context)}</nav>
          ${
            operator
              ? html`<nav class="tabs" aria-label="${t.navLabel}">
                  ${can(operator, "queue") ? html`<a href="/console/queue">${t.queueTitle}</a>` : ""}
                  ${can(operator, "audit") ? html`<a href="/console/audit">${t.auditTitle}</a>` : ""}
                  ${can(operator, "manage") ? html`<a href="/console/operators">${t.operatorsTitle}</a>` : ""}
                  <span id="signed-in" data-role="${operator.role}"
                    >${t[`role_${operator.role}`]} ${operator.iin}${operatorPlace(operator, language)}</span
                  >
                  <form method="post" action="/console/logout" class="inline">
                    ${csrf(context)}<button type="submit" id="logout">${t.logout}</button>
                  </form>
                </nav>`
              : ""
          }
        </header>
        <main id="main">
          <h1>${title}</h1>
          ${error ? html`<div class="error" role="alert" id="console-error">${error}</div>` : ""}
          <div
            id="agent-status"
            class="agent-status"
            role="status"
            aria-live="polite"
            data-login="${t.agentSigningLogin}"
            data-preparing="${t.agentPreparing}"
            data-sign="${t.agentSignDecision}"
            data-decided="${t.agentDecided}"
            data-refused="${t.agentRefused}"
            data-cancelled="${portal.agentCancelled}"
            data-failed="${portal.agentFailed}"
            data-missing="${portal.agentMissing}"
          ></div>
          ${body}
        </main>
      </body>
    </html>`;
}

function operatorPlace(operator: Operator, language: Language): string {
  if (operator.center) return ` · ${placeName(centerByCode(operator.center), operator.center, language)}`;
  if (operator.region) return ` · ${placeName(regionByCode(operator.region), operator.region, language)}`;
  return "";
}

function languageSwitch({ language, csrfToken, reopen }: ConsoleContext): Html[] {
  return LANGUAGES.map((code) => {
    const name = messages(code).lang;
    if (code === language) return html`<span aria-current="true" lang="${code}">${name}</span>`;
    if (!reopen.fields)
      return html`<a href="/lang/${code}?back=${encodeURIComponent(reopen.path)}" lang="${code}" hreflang="${code}"
        >${name}</a
      >`;
    const fields = { _csrf: csrfToken, back: reopen.path, ...reopen.fields };
    return html`<form method="post" action="/lang/${code}" class="inline">
      ${Object.entries(fields).map(([field, value]) => html`<input type="hidden" name="${field}" value="${value}" />`)}
      <button type="submit" lang="${code}">${name}</button>
    </form>`;
  });
}
