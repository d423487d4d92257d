import { readFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";

/** What the numbers were measured on. */
export async function describeMachine(): Promise<{ cpu: string; cores: number; memoryGiB: number; node: string; nodeOpenssl: string }> {
  const cpuinfo = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? "unknown";
  return {
    cpu: model,
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    nodeOpenssl: process.versions.openssl,
  };
}
