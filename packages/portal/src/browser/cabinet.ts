// The personal cabinet's page script: the login challenge signed with the person's AUTH key, and
// revocations and renewals signed with their SIGN key, through the local agent; a renewal's new
// keys come from the agent's generateCsr, and the status page installs the new certificates.
import {
  AgentConnection,
  CLIENT_AUTH,
  EMAIL_PROTECTION,
  generateCsr,
  signWithAgent,
} from "./agentConnection.ts";
import { postJson } from "./postJson.ts";

const status = document.getElementById("agent-status")!;
const text = (name: string) => status.dataset[name] ?? "";
const show = (kind: "notice" | "error" | "success", message: string) => {
  status.className = `agent-status ${kind}`;
  status.textContent = message;
};
const refused = (data: Record<string, string>) => show("error", data.message ?? data.error ?? text("failed"));

async function login(): Promise<void> {
  show("notice", text("working"));
  const challenge = await postJson("/cabinet/login/challenge", {});
  if (!challenge.ok) return refused(challenge.data);
  const signature = await signWithAgent(challenge.data.data!, CLIENT_AUTH);
  if (!signature) return show("notice", text("cancelled"));
  const result = await postJson("/cabinet/login", { signature });
  if (!result.ok) return refused(result.data);
  location.assign(result.data.next!);
}

/** Prepare on the server, sign the prepared document with the SIGN key it names, submit. */
async function signed(
  prepareUrl: string,
  request: object,
  submitUrl: string,
  extra: object = {},
): Promise<Record<string, string> | undefined> {
  const prepared = await postJson(prepareUrl, request);
  if (!prepared.ok) return void refused(prepared.data);
  show("notice", text("signing"));
  const signature = await signWithAgent(prepared.data.data!, EMAIL_PROTECTION, prepared.data.signer);
  if (!signature) return void show("notice", text("cancelled"));
  const result = await postJson(submitUrl, { signature, ...extra });
  if (!result.ok) return void refused(result.data);
  return result.data;
}

async function revoke(form: HTMLFormElement): Promise<void> {
  const reason = form.querySelector<HTMLSelectElement>("select")!.value;
  const done = await signed(
    "/cabinet/revocation/prepare",
    { serial: form.dataset.serial, reason },
    "/cabinet/revocation",
  );
  if (!done) return;
  show("success", text("revoked"));
  location.reload();
}

async function renew(): Promise<void> {
  show("notice", text("working"));
  const storage = document.querySelector<HTMLSelectElement>("#renew-storage")!.selectedOptions[0]!;
  const start = await postJson("/cabinet/renewal/start", {});
  if (!start.ok) return refused(start.data);
  const number = start.data.number!;
  const agent = await AgentConnection.connect();
  let csrs;
  try {
    const outcome = await generateCsr(agent, {
      storage: storage.dataset.agentStorage!,
      applicationId: number,
      keys: ["AUTH", "SIGN"],
    });
    if ("cancelled" in outcome) return show("notice", text("cancelled"));
    if ("error" in outcome) return show("error", `${text("failed")}: ${outcome.error}`);
    csrs = { authCsr: outcome.result.csrs.AUTH!, signCsr: outcome.result.csrs.SIGN! };
  } finally {
    agent.close();
  }
  const done = await signed(
    "/cabinet/renewal/prepare",
    { number, storage: storage.value, ...csrs },
    "/cabinet/renewal",
    csrs,
  );
  if (!done) return;
  // The status page installs them, as it does for every issued application.
  const install = document.querySelector<HTMLFormElement>("#install-renewed")!;
  install.querySelector<HTMLInputElement>('input[name="number"]')!.value = done.number!;
  install.submit();
}

const failed = (error: unknown) => show("error", error instanceof Error ? error.message : String(error));

document.getElementById("cabinet-login")?.addEventListener("click", () => void login().catch(failed));
document.getElementById("renew")?.addEventListener("click", () => void renew().catch(failed));
for (const form of document.querySelectorAll<HTMLFormElement>("form.revoke"))
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void revoke(form).catch(failed);
  });
