import { readFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";

/** What the numbers were measured on. */
export async function describeMachine(): Promise<{
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  nodeOpenssl: string;
}> {
  const cpuinfo = await readFile("/proc/cpuinfo", "utf8").catch(() => "");
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.+)$`, "m").exec(cpuinfo)?.[1]?.trim();
  const model = field("model name") ?? cpus()[0]?.model ?? "unknown";
  const details = [
    field("cpu family") && `family ${field("cpu family")} model ${field("model")}`,
    field("cpu MHz") && `${Math.round(Number(field("cpu MHz")))} MHz`,
    / hypervisor( |$)/m.test(field("flags") ?? "") && "virtual machine",
  ].filter(Boolean);
  return {
    cpu: details.length > 0 ? `${model} (${details.join(", ")})` : model,
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    nodeOpenssl: process.versions.openssl,
  };
}
