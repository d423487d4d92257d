export * from "./tls/agentTls.ts";
