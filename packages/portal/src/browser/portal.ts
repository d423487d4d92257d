// The page script: asks the local agent for keys and CSRs on the application form, and installs
// the issued certificates on the status page. Everything else is plain server-rendered HTML.
import { FILE_STORAGE, type ImportCertificateArgs } from "@qoltanba/agent/protocol";
import { activeTokens, AgentConnection, generateCsr, importCertificate } from "./agentConnection.ts";

const csrfToken = () => document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content;

class StatusLine {
  constructor(private readonly element: HTMLElement) {}
  text(name: string): string {
    return this.element.dataset[name] ?? "";
  }
  show(kind: "notice" | "error" | "success", message: string, retry?: () => void): void {
    this.element.className = `agent-status ${kind}`;
    this.element.textContent = message;
    if (retry) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = this.text("retry");
      button.addEventListener("click", retry);
      this.element.append(" ", button);
    }
  }
}

async function postJson(url: string, body: object): Promise<{ ok: boolean; data: Record<string, string> }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", "x-csrf-token": csrfToken() },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  return { ok: response.ok, data: (await response.json()) as Record<string, string> };
}

/** Region first: the locality and Registration Center lists show that region's entries only. */
function linkSelects(form: HTMLFormElement): void {
  const region = form.querySelector<HTMLSelectElement>("#region")!;
  const locality = form.querySelector<HTMLSelectElement>("#locality")!;
  const center = form.querySelector<HTMLSelectElement>("#center")!;
  const filter = () => {
    for (const select of [locality, center]) {
      for (const group of select.querySelectorAll<HTMLOptGroupElement>("optgroup")) {
        const match = group.dataset.region === region.value;
        group.hidden = !match;
        group.disabled = !match;
      }
      if (
        select.selectedOptions[0]?.parentElement instanceof HTMLOptGroupElement &&
        (select.selectedOptions[0].parentElement as HTMLOptGroupElement).disabled
      )
        select.value = "";
    }
  };
  region.addEventListener("change", filter);
  locality.addEventListener("change", () => {
    if (locality.value && !center.value) center.value = `${locality.value}.rc`;
  });
  filter();
}

async function applicationForm(form: HTMLFormElement): Promise<void> {
  linkSelects(form);
  const status = new StatusLine(document.getElementById("agent-status")!);
  const storage = form.querySelector<HTMLSelectElement>("#storage")!;
  const submit = form.querySelector<HTMLButtonElement>("#submit-application")!;
  let agent: AgentConnection | undefined;

  const check = async () => {
    status.show("notice", status.text("checking"));
    submit.disabled = true;
    try {
      agent = await AgentConnection.connect();
      const present = new Set(await activeTokens(agent));
      for (const option of storage.options) {
        const agentStorage = option.dataset.agentStorage!;
        const available = agentStorage === FILE_STORAGE || present.has(agentStorage);
        option.disabled = !available;
        option.textContent =
          option.textContent!.replace(/ \(.*\)$/, "") +
          (available ? "" : ` (${status.text("notConnected")})`);
      }
      if (storage.selectedOptions[0]?.disabled) storage.value = "file";
      status.show("success", status.text("ready"));
      submit.disabled = false;
    } catch {
      agent = undefined;
      status.show("error", status.text("missing"), () => void check());
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!form.reportValidity() || !agent) return;
    void (async () => {
      submit.disabled = true;
      status.show("notice", status.text("working"));
      try {
        const chosen = storage.selectedOptions[0]!.dataset.agentStorage!;
        const outcome = await generateCsr(agent!, { storage: chosen, applicationId: form.dataset.applicationId!, keys: ["AUTH", "SIGN"] });
        if ("cancelled" in outcome) return status.show("notice", status.text("cancelled"));
        if ("error" in outcome) return status.show("error", `${status.text("failed")}: ${outcome.error}`);
        const fields = Object.fromEntries(new FormData(form)) as Record<string, string>;
        const answer = await postJson(form.action, { ...fields, authCsr: outcome.result.csrs.AUTH!, signCsr: outcome.result.csrs.SIGN! });
        if (answer.ok) {
          window.location.assign(answer.data.next!);
          return;
        }
        status.show("error", answer.data.message ?? answer.data.error!);
      } catch (error) {
        status.show("error", `${status.text("failed")}: ${(error as Error).message}`, () => void check());
      } finally {
        submit.disabled = false;
      }
    })();
  });
  await check();
}

async function installForm(form: HTMLFormElement): Promise<void> {
  const status = new StatusLine(document.getElementById("agent-status")!);
  const button = form.querySelector<HTMLButtonElement>("#install-certificates")!;
  const data = JSON.parse(document.getElementById("install-data")!.textContent!) as {
    applicationId: string;
    /** Where the keys are: the agent's storage name (a folder of key files, or a token's store). */
    storage: ImportCertificateArgs["storage"];
    iin: string;
    certificates: string[];
    chain: string[];
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    // "Choose another folder": the person moved the key files, and picks their folder in the agent.
    const changeFolder = (event as SubmitEvent).submitter?.id === "change-folder";
    void (async () => {
      button.disabled = true;
      try {
        const agent = await AgentConnection.connect().catch(() => undefined);
        if (!agent) return status.show("error", status.text("missing"));
        status.show("notice", status.text("installWorking"));
        const outcome = await importCertificate(agent, {
          storage: data.storage,
          applicationId: data.applicationId,
          certificates: data.certificates,
          chain: data.chain,
          ...(changeFolder ? { changeFolder: true } : {}),
        });
        agent.close();
        if ("cancelled" in outcome) return status.show("notice", status.text("cancelled"));
        if ("error" in outcome) return status.show("error", `${status.text("failed")}: ${outcome.error}`);
        const answer = await postJson("/status/installed", { number: data.applicationId, iin: data.iin });
        if (!answer.ok) return status.show("error", answer.data.message ?? answer.data.error!);
        status.show(
          "success",
          `${status.text("installed")}: ${outcome.result.imported.map((file) => file.fileName).join(", ")}`,
        );
        const cell = document.getElementById("application-status");
        if (cell) {
          cell.dataset.status = "installed";
          cell.textContent = status.text("installed");
        }
      } finally {
        button.disabled = false;
      }
    })();
  });
}

const application = document.getElementById("application-form");
if (application instanceof HTMLFormElement) void applicationForm(application);
const install = document.getElementById("install-form");
if (install instanceof HTMLFormElement) void installForm(install);
