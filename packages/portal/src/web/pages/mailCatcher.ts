import type { CaughtMail } from "../../mail/mailTransport.ts";
import { html, type Html } from "../html.ts";

/** The demo's inbox: what would have been e-mailed, newest first. */
export function mailCatcherPage(messages: readonly CaughtMail[]): Html {
  if (messages.length === 0) return html`<p>No messages yet.</p>`;
  return html`${messages.map(
    (message) => html`<article class="notice">
  <p><strong>${message.subject}</strong><br>To: ${message.to} · ${message.at.toISOString()}</p>
  <pre>${message.text}</pre>
  ${message.attachments.length > 0 ? html`<p>Attachments: ${message.attachments.map((attachment) => attachment.filename).join(", ")}</p>` : ""}
</article>`,
  )}`;
}
