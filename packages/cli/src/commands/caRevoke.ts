import { OPERATOR_REVOCATION_REASONS, openCertificateAuthority, revokeCertificate } from "@qoltanba/ca";
import { InputError } from "@qoltanba/pki";
import { EXIT, required, type Command } from "../command.ts";

function parseDate(text: string | undefined, flag: string): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new InputError("bad_date", `--${flag} must be an ISO-8601 time, got ${text}`);
  return date;
}

export const caRevoke: Command = {
  usage: `qoltanba ca revoke --dir DIR --serial HEX --reason REASON [--invalidity-date TIME]

  --reason   ${OPERATOR_REVOCATION_REASONS.join(", ")}
  --invalidity-date  when the key is known or suspected to have been compromised (ISO-8601)`,
  options: { dir: { type: "string" }, serial: { type: "string" }, reason: { type: "string" }, "invalidity-date": { type: "string" } },
  async run(values) {
    const invalidityDate = parseDate(values["invalidity-date"] as string | undefined, "invalidity-date");
    const ca = await openCertificateAuthority(required(values, "dir"));
    try {
      const result = await revokeCertificate(ca, {
        serial: required(values, "serial"),
        reason: required(values, "reason"),
        ...(invalidityDate ? { invalidityDate } : {}),
      });
      process.stderr.write(`serial ${result.serial}: ${result.reason} at ${result.revokedAt.toISOString()}\n`);
      return EXIT.ok;
    } finally {
      await ca.close();
    }
  },
};
