import type { Counters } from "../../storage/portalStore.ts";
import { html, type Html } from "../html.ts";
import type { PageContext } from "../layout.ts";

const count = (value: number) => value.toLocaleString("ru-RU").replace(/\u00a0/g, " ");

export function homePage(context: PageContext, counters: Counters): Html {
  const { t } = context;
  return html`
<section aria-labelledby="services">
  <h2 id="services">${t.menuServices}</h2>
  <ul>
    <li><a href="/individuals">${t.menuGetKey} — ${t.menuIndividuals}</a></li>
    <li><a href="/status">${t.menuStatus}</a></li>
  </ul>
</section>
<section aria-labelledby="base">
  <h2 id="base">${t.baseCertificates}</h2>
  <table>
    <tr><th scope="row">${t.issuingCa}</th><td><a href="/certificates/pki_rsa.cer">pki_rsa</a> · <a href="/certificates/pki_rsa.pem">${t.downloadPem}</a></td></tr>
    <tr><th scope="row">${t.rootCa}</th><td><a href="/certificates/root_rsa.cer">root_rsa</a> · <a href="/certificates/root_rsa.pem">${t.downloadPem}</a></td></tr>
  </table>
</section>
<section aria-labelledby="users">
  <h2 id="users">${t.usersCount}</h2>
  <table>
    <tr><th scope="row">${t.usersTotal}</th><td class="number" id="users-total">${count(counters.total)}</td></tr>
    <tr><th scope="row">${t.usersIndividuals}</th><td class="number" id="users-individual">${count(counters.individual)}</td></tr>
    <tr><th scope="row">${t.usersLegal}</th><td class="number" id="users-legal">${count(counters.legal)}</td></tr>
  </table>
</section>
<section aria-labelledby="import">
  <h2 id="import">${t.importTitle}</h2>
  <p>${t.importIntro}</p>
  <ul>
    <li>${t.importChrome}</li>
    <li>${t.importFirefox}</li>
    <li>${t.importSafari}</li>
    <li>${t.importWindows}</li>
  </ul>
  <h2>${t.agentTitle}</h2>
  <p>${t.agentText}</p>
</section>`;
}
