// The console's page script: signs the login challenge with the operator's AUTH key and each
// decision with their SIGN key through the local agent (kz.gov.pki.knca.basics sign, CMS attached).
// Its words come from the page (the status line's data attributes), in the operator's language.
import { AgentUnavailable, CLIENT_AUTH, EMAIL_PROTECTION, signWithAgent } from "./agentConnection.ts";
import { postJson } from "./postJson.ts";

const status = document.getElementById("agent-status")!;
const text = (name: string, values: Record<string, string> = {}) =>
  (status.dataset[name] ?? "").replace(/\{(\w+)\}/g, (match, key: string) => values[key] ?? match);
const show = (kind: "notice" | "error" | "success", message: string) => {
  status.className = `agent-status ${kind}`;
  status.textContent = message;
};
/** The server's refusal, already in the operator's language. */
const refused = (data: Record<string, string>) => show("error", data.message ?? text("refused"));

async function login(): Promise<void> {
  show("notice", text("login"));
  const challenge = await postJson("/console/login/challenge", {});
  if (!challenge.ok) return refused(challenge.data);
  const signature = await signWithAgent(challenge.data.data!, CLIENT_AUTH);
  if (!signature) return show("error", text("cancelled"));
  const result = await postJson("/console/login", { signature });
  if (!result.ok) return refused(result.data);
  location.assign(result.data.next!);
}

async function decide(form: HTMLFormElement): Promise<void> {
  const request: Record<string, string> = { kind: form.dataset.kind! };
  for (const [name, value] of new FormData(form)) request[name] = String(value);
  show("notice", text("preparing"));
  const prepared = await postJson("/console/decisions/prepare", request);
  if (!prepared.ok) return refused(prepared.data);
  show("notice", text("sign", { document: prepared.data.document! }));
  const signature = await signWithAgent(prepared.data.data!, EMAIL_PROTECTION, prepared.data.signer);
  if (!signature) return show("error", text("cancelled"));
  const result = await postJson("/console/decisions", { signature });
  if (!result.ok) return refused(result.data);
  show("success", text("decided", { id: String(result.data.id) }));
  document.querySelector<HTMLFormElement>("#reopen")?.submit();
}

async function enrol(): Promise<void> {
  const token = location.hash.slice(1);
  history.replaceState(null, "", location.pathname);
  const result = await postJson("/console/enrol", { token });
  if (!result.ok) return refused(result.data);
  location.assign(result.data.next!);
}

/** The agent's own words (a code and its details) follow the page's. */
const failed = (error: unknown) =>
  show(
    "error",
    error instanceof AgentUnavailable
      ? text("missing")
      : `${text("failed")}: ${error instanceof Error ? error.message : String(error)}`,
  );

document.getElementById("console-login")?.addEventListener("click", () => void login().catch(failed));
for (const form of document.querySelectorAll<HTMLFormElement>("form.decision"))
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void decide(form).catch(failed);
  });
if (document.getElementById("enrol-note")) void enrol().catch(failed);
