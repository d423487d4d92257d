import type { Dialogs } from "../dialogs/dialogs.ts";
import type { OriginApprovals } from "../state/originApprovals.ts";

/**
 * Decides whether a connection's origin may use the agent: approved always (in the home folder),
 * or asked now in the agent's dialog. One question per origin at a time; a "deny" holds until the
 * agent stops, so a page cannot flood the person with questions.
 */
export class OriginGate {
  private readonly denied = new Set<string>();
  private readonly asking = new Map<string, Promise<boolean>>();

  constructor(
    private readonly approvals: OriginApprovals,
    private readonly dialogs: Dialogs,
  ) {}

  async admit(origin: string): Promise<boolean> {
    if (this.denied.has(origin)) return false;
    if (await this.approvals.isApproved(origin)) return true;
    let answer = this.asking.get(origin);
    if (!answer) {
      answer = this.ask(origin).finally(() => this.asking.delete(origin));
      this.asking.set(origin, answer);
    }
    return answer;
  }

  private async ask(origin: string): Promise<boolean> {
    const decision = await this.dialogs.approveOrigin(origin);
    if (decision === "always") await this.approvals.approve(origin);
    if (decision === "deny") this.denied.add(origin);
    return decision === "always" || decision === "once";
  }
}
