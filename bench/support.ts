// What benchmarks import from the project (one place, so bench files stay short).
export { CertificateIssuer, CrlPublisher, crlFilePath, initCertificateAuthority, openCertificateAuthority, revokeCertificate } from "@qoltanba/ca";
export const POSTGRES_BENCH_URL = process.env.QOLTANBA_BENCH_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";
export { createCaServer } from "@qoltanba/ca";
export { inProcessCaClient, newApplicationNumber, parseApplicationNumber, Portal, DEMO_PERSONS_FILE, REGISTRATION_CENTERS, ConsoleStore } from "@qoltanba/portal";
