// The console's page script: signs the login challenge with the operator's AUTH key and each
// decision with their SIGN key through the local agent (kz.gov.pki.knca.basics sign, CMS attached).
import { AgentConnection, basics } from "./agentConnection.ts";

const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const EMAIL_PROTECTION = "1.3.6.1.5.5.7.3.4";

const csrfToken = () => document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content;
const status = document.getElementById("agent-status")!;
const show = (kind: "notice" | "error" | "success", message: string) => {
  status.className = `agent-status ${kind}`;
  status.textContent = message;
};

async function postJson(url: string, body: object): Promise<{ ok: boolean; data: Record<string, string> }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", "x-csrf-token": csrfToken() },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  return { ok: response.ok, data: (await response.json()) as Record<string, string> };
}

/** One CMS over `data` (base64) by a key with `eku` (and this serial, when given); undefined if cancelled. */
async function signWithAgent(data: string, eku: string, serialNumber?: string): Promise<string | undefined> {
  const agent = await AgentConnection.connect();
  try {
    const outcome = await basics<string | string[]>(agent, "sign", {
      allowedStorages: null,
      format: "cms",
      data,
      signingParams: { decode: true, encapsulate: true, digested: false },
      signerParams: { extKeyUsageOids: [eku], ...(serialNumber ? { serialNumber } : {}) },
      locale: "en",
    });
    if ("error" in outcome) throw new Error(outcome.error);
    if ("cancelled" in outcome) return undefined;
    return Array.isArray(outcome.result) ? outcome.result[0] : outcome.result;
  } finally {
    agent.close();
  }
}

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
