export * from "./agent.ts";
export * from "./dialogs/chooseDialogs.ts";
export * from "./dialogs/dialogs.ts";
export * from "./protocol/messages.ts";
export * from "./server/agentServer.ts";
export * from "./settings/unattended.ts";
export * from "./state/agentHome.ts";
export * from "./state/originApprovals.ts";
