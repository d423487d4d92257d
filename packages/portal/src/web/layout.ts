import { LANGUAGES, messages, type Language, type Messages } from "../i18n/index.ts";
import { html, type Html } from "./html.ts";

/** What every page needs: the language, the CSRF token for its forms, and the path (for the language switcher). */
export interface PageContext {
  readonly language: Language;
  readonly t: Messages;
  readonly csrfToken: string;
  readonly path: string;
  /** The local agent's WebSocket URL, for the page script. */
  readonly agentUrl: string;
}

export const csrfField = (context: PageContext) =>
  html`<input type="hidden" name="_csrf" value="${context.csrfToken}">`;

export function layout(
  context: PageContext,
  title: string,
  body: Html,
  options: { script?: boolean } = {},
): Html {
  const { t, language } = context;
  const frame = frameOf(language);
  return html`${frame.top}<meta name="csrf-token" content="${context.csrfToken}">
<meta name="agent-url" content="${context.agentUrl}">
<title>${title === t.siteName ? title : `${title} — Qoltanba`}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/portal.css">
${options.script ? html`<script type="module" src="/static/portal.js"></script>` : ""}
</head>
${frame.header}
    ${LANGUAGES.map((code) =>
      code === language
        ? frame.currentLanguage
        : html`<a href="/lang/${code}?back=${encodeURIComponent(context.path)}" lang="${code}" hreflang="${code}">${messages(code).lang}</a>`,
    )}
${frame.menu}${title}</h1>
${body}
${frame.bottom}`;
}

/** The parts of every page that depend on nothing but its language. */
interface Frame {
  readonly top: Html;
  readonly header: Html;
  readonly currentLanguage: Html;
  readonly menu: Html;
  readonly bottom: Html;
}

/** Rendered once per language: each page then escapes only what is its own. */
const frames = new Map<Language, Frame>(
  LANGUAGES.map((language) => {
    const t = messages(language);
    return [
      language,
      {
        top: html`<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
`,
        header: html`<body>
<a class="skip" href="#main">${t.skipToContent}</a>
<header class="top">
  <div class="brand"><a href="/">${t.siteName}</a></div>
  <nav aria-label="${t.languageLabel}" class="languages">`,
        currentLanguage: html`<span aria-current="true" lang="${language}">${t.lang}</span>`,
        menu: html`  </nav>
  <nav aria-label="${t.menuServices}" class="tabs">
    <a href="/">${t.menuServices}</a>
    <a href="/cabinet">${t.menuCabinet}</a>
  </nav>
</header>
<div class="page">
<nav class="menu" aria-label="${t.menuServices}">
  <ul>
    <li><a href="/">${t.menuHome}</a></li>
    <li>${t.menuGetKey}<ul><li><a href="/individuals">${t.menuIndividuals}</a></li></ul></li>
    <li><a href="/status">${t.menuStatus}</a></li>
  </ul>
</nav>
<main id="main">
<h1>`,
        bottom: html`</main>
</div>
<footer>${t.support}</footer>
</body>
</html>`,
      },
    ];
  }),
);
const frameOf = (language: Language) => frames.get(language)!;

export function errorBox(message: string | undefined): Html {
  return message ? html`<div class="error" role="alert">${message}</div>` : html``;
}
