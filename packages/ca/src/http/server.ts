import Fastify, { type FastifyInstance } from "fastify";
import { InputError } from "@qoltanba/pki";
import type { CertificateAuthority } from "../authority.ts";
import { publicationRoutes } from "./publication.ts";

/** `qoltanba serve`: one HTTP server; each service registers as its own plugin. */
export async function createCaServer(ca: CertificateAuthority, options: { logger?: boolean } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ? { level: "info", redact: ["req.headers.authorization", "req.headers.cookie"] } : false,
    bodyLimit: 64 * 1024,
  });
  await app.register(publicationRoutes, { ca });
  return app;
}

export function parseListen(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new InputError("bad_listen", `--listen must be HOST:PORT, got ${listen}`);
  return { host: match[1] ?? match[2]!, port };
}
