// The console's page script: signs the login challenge with the operator's AUTH key and each
// decision with their SIGN key through the local agent (kz.gov.pki.knca.basics sign, CMS attached).
import { CLIENT_AUTH, EMAIL_PROTECTION, signWithAgent } from "./agentConnection.ts";
import { postJson } from "./postJson.ts";

const status = document.getElementById("agent-status")!;
const show = (kind: "notice" | "error" | "success", message: string) => {
  status.className = `agent-status ${kind}`;
  status.textContent = message;
};

async function login(): Promise<void> {
  show("notice", "Asking the agent to sign the login challenge…");
  const challenge = await postJson("/console/login/challenge", {});
  if (!challenge.ok) return show("error", challenge.data.message ?? "no challenge");
  const signature = await signWithAgent(challenge.data.data!, CLIENT_AUTH);
  if (!signature) return show("error", "Signing was cancelled.");
  const result = await postJson("/console/login", { signature });
  if (!result.ok) return show("error", result.data.message ?? "refused");
  location.assign(result.data.next!);
}

async function decide(form: HTMLFormElement): Promise<void> {
  const request: Record<string, string> = { kind: form.dataset.kind! };
  for (const [name, value] of new FormData(form)) request[name] = String(value);
  show("notice", "Preparing the decision…");
  const prepared = await postJson("/console/decisions/prepare", request);
  if (!prepared.ok) return show("error", prepared.data.message ?? "refused");
  show("notice", `Sign with your SIGN key: ${prepared.data.document}`);
  const signature = await signWithAgent(prepared.data.data!, EMAIL_PROTECTION, prepared.data.signer);
  if (!signature) return show("error", "Signing was cancelled.");
  const result = await postJson("/console/decisions", { signature });
  if (!result.ok) return show("error", result.data.message ?? "refused");
  show("success", `Decision ${result.data.id} (${result.data.kind}): ${result.data.outcome}`);
  document.querySelector<HTMLFormElement>("#reopen")?.submit();
}

async function enrol(): Promise<void> {
  const token = location.hash.slice(1);
  history.replaceState(null, "", location.pathname);
  const result = await postJson("/console/enrol", { token });
  if (!result.ok) return show("error", result.data.message ?? "refused");
  location.assign(result.data.next!);
}

const failed = (error: unknown) => show("error", error instanceof Error ? error.message : String(error));

document.getElementById("console-login")?.addEventListener("click", () => void login().catch(failed));
for (const form of document.querySelectorAll<HTMLFormElement>("form.decision"))
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void decide(form).catch(failed);
  });
if (document.getElementById("enrol-note")) void enrol().catch(failed);
