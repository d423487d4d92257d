export * from "./tls/agentTls.ts";
export * from "./trust/certificates.ts";
export * from "./trust/stores.ts";
export * from "./trust/trust.ts";
export * from "./autostart/autostart.ts";
export * from "./autostart/launcher.ts";
export * from "./doctor/doctor.ts";
export * from "./doctor/finding.ts";
