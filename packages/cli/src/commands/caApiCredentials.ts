import { apiFolder, ApiClientList, checkApiCredentialsRequest, issueApiCredentials, PASSWORD_ENV, readCaConfig, readKeyPassword } from "@qoltanba/ca";
import { EXIT, required, UsageError, type Command } from "../command.ts";

export const caApiCredentials: Command = {
  usage: `qoltanba ca api-credentials --dir DIR --server HOST[,HOST…] --out FOLDER [--password-file FILE]
       qoltanba ca api-credentials --dir DIR --client NAME --out FOLDER [--password-file FILE]
       qoltanba ca api-credentials --dir DIR --remove NAME
       qoltanba ca api-credentials --dir DIR --list

  The TLS material of the CA API (serve --ca-api-listen), which lets portal nodes without the
  issuing key have certificates issued by a signer node (docs/deployment.md). Made by a small
  internal CA kept in DIR/api (created on first use, its key encrypted with the key password from
  --password-file or ${PASSWORD_ENV}); it certifies nothing else.
  --server HOSTS  credentials for the signer node's CA API: the host names or addresses portal
                  nodes connect to (comma-separated)
  --client NAME   credentials for one portal node, added to DIR/api/clients.json, the list the CA
                  API checks on every request (issuing a NAME again replaces its certificate)
  --out FOLDER    where certificate.pem, key.pem (mode 0600) and trust.pem are written; it must
                  not hold credentials yet. Copy it to that node only.
  --remove NAME   takes a portal node off the list: its certificate no longer opens the CA API
  --list          prints the portal nodes on the list`,
  options: {
    dir: { type: "string" },
    server: { type: "string" },
    client: { type: "string" },
    out: { type: "string" },
    remove: { type: "string" },
    list: { type: "boolean" },
    "password-file": { type: "string" },
  },
  async run(values) {
    const dir = required(values, "dir");
    await readCaConfig(dir);
    const chosen = (["server", "client", "remove", "list"] as const).filter((name) => values[name] !== undefined);
    if (chosen.length !== 1) throw new UsageError("give one of --server, --client, --remove or --list");
    const clients = new ApiClientList(apiFolder(dir).clients);
    if (values.list || typeof values.remove === "string") {
      const stray = (["out", "password-file"] as const).find((name) => values[name] !== undefined);
      if (stray) throw new UsageError(`--${stray} goes with --server or --client, not --${chosen[0]}`);
    }
    if (values.list) {
      for (const [name, entry] of Object.entries(await clients.entries())) process.stdout.write(`${name}\tsha256 ${entry.sha256}\tuntil ${entry.notAfter}\n`);
      return EXIT.ok;
    }
    if (typeof values.remove === "string") {
      await clients.remove(values.remove);
      process.stderr.write(`portal node ${values.remove} removed: its certificate no longer opens the CA API\n`);
      return EXIT.ok;
    }
    const role =
      typeof values.server === "string"
        ? { kind: "server" as const, hosts: values.server.split(",").map((host) => host.trim()).filter(Boolean) }
        : { kind: "client" as const, name: required(values, "client") };
    const out = required(values, "out");
    await checkApiCredentialsRequest(role, out); // all input refused before the password is read
    const password = await readKeyPassword(values["password-file"] as string | undefined);
    const issued = await issueApiCredentials(dir, role, out, password);
    process.stderr.write(`${role.kind} credentials for ${issued.subject} (SHA-256 ${issued.sha256}, until ${issued.notAfter.toISOString()}) written to ${out}\n`);
    return EXIT.ok;
  },
};
