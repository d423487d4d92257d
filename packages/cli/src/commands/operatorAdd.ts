import { openCertificateAuthority } from "@qoltanba/ca";
import { openPortalForCa } from "@qoltanba/portal";
import { EXIT, required, type Command } from "../command.ts";

export const operatorAdd: Command = {
  usage: `qoltanba operator add --dir DIR --iin IIN --role ROLE [--center CODE | --region CODE]

  Adds a Registration Center operator and prints a one-time enrolment link (valid 7 days). The
  person opens it, applies for their certificates through the portal as anyone does, and the
  certificates issued for that application carry the role: the console then lets them in with
  their AUTH key. Whoever runs this vouches for the person, so that application is confirmed at once.

  ROLE        operator (needs --center, e.g. astana.esil.rc), supervisor (needs --region, e.g.
              astana), administrator, auditor
  The portal's database is QOLTANBA_PORTAL_DATABASE, as for qoltanba serve.
  Exit codes: 0 added, 2 bad usage or input (nothing is stored), 3 internal error.`,
  options: {
    dir: { type: "string" },
    iin: { type: "string" },
    role: { type: "string" },
    center: { type: "string" },
    region: { type: "string" },
  },
  async run(values) {
    const dir = required(values, "dir");
    const iin = required(values, "iin");
    const role = required(values, "role");
    const ca = await openCertificateAuthority(dir);
    try {
      const portal = await openPortalForCa(ca);
      try {
        const added = await portal.console.operators.add({
          iin,
          role,
          ...(typeof values.center === "string" ? { center: values.center } : {}),
          ...(typeof values.region === "string" ? { region: values.region } : {}),
          createdBy: "cli",
          baseUrl: ca.config.baseUrl,
          acceptTestIin: ca.config.acceptTestIin,
        });
        process.stdout.write(
          `operator ${added.id} (${role}) added; enrolment link, valid until ${added.expiresAt.toISOString()} — give it to the person only:\n${added.link}\n`,
        );
        return EXIT.ok;
      } finally {
        await portal.close();
      }
    } finally {
      await ca.close();
    }
  },
};
