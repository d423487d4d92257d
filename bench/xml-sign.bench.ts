// Signs a 100 KB XML document the way NCALayer's signXml does, with RSA-2048 and P-256 keys made by
// openssl, and prints p50/p99 (and CPU time) of signXml and verifyXmlSignature; xmlsec1 checks one
// result of each.
// Run: node --import tsx bench/xml-sign.bench.ts [iterations]
import { performance } from "node:perf_hooks";
import { signXml, verifyXmlSignature } from "@qoltanba/pki";
import { Xmlsec1Lab } from "../packages/pki/src/test-support/xmlsec1.ts";

const iterations = Number(process.argv[2] ?? 300);
const WARMUP = 20;

/** 100 KB (UTF-8) of records like those of a state service request, with Kazakh text. */
function document(): string {
  const head = `<?xml version="1.0" encoding="UTF-8"?><p:request xmlns:p="urn:qoltanba:bench">`;
  let xml = head;
  for (let i = 0; Buffer.byteLength(xml) < 100 * 1024 - 200; i++) {
    xml +=
      `<p:record Id="r${i}" kind="${i % 3 === 0 ? "payment" : "notice"}">` +
      `<p:iin>${String(850101300000 + i).padStart(12, "0")}</p:iin>` +
      `<p:name>Қолтаңба ұлттық куәландырушы орталық №${i}</p:name>` +
      `<p:amount currency="KZT">${(i * 1234.5).toFixed(2)}</p:amount></p:record>`;
  }
  return xml + "</p:request>";
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Wall-clock p50/p99, and the mean CPU time per call, which a busy machine inflates less. */
async function measure(
  run: () => Promise<unknown> | unknown,
): Promise<{ p50: number; p99: number; cpu: number }> {
  for (let i = 0; i < WARMUP; i++) await run();
  const samples: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  const cpu = process.cpuUsage(cpuBefore);
  samples.sort((a, b) => a - b);
  return {
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    cpu: (cpu.user + cpu.system) / 1000 / iterations,
  };
}

const lab = new Xmlsec1Lab();
try {
  const xml = document();
  console.log(
    `document: ${Buffer.byteLength(xml)} bytes UTF-8, ${iterations} iterations after ${WARMUP} warm-up`,
  );
  for (const signer of [lab.rsa, lab.ec]) {
    const signed = await signXml({ xml, signer });
    const check = lab.verify(signed);
    if (check.status !== 0)
      throw new Error(`xmlsec1 did not verify the ${signer.name} signature:\n${check.output}`);
    if (!verifyXmlSignature(signed).valid)
      throw new Error(`verifyXmlSignature rejected the ${signer.name} signature`);
    const sign = await measure(() => signXml({ xml, signer }));
    const verify = await measure(() => verifyXmlSignature(signed));
    const ms = (value: number) => `${value.toFixed(1)} ms`;
    const line = (what: string, { p50, p99, cpu }: { p50: number; p99: number; cpu: number }) =>
      `${what} p50 ${ms(p50)}, p99 ${ms(p99)}, CPU ${ms(cpu)}/call`;
    console.log(
      `${signer.name === "rsa" ? "RSA-2048" : "P-256"}: ${line("signXml", sign)}; ${line("verifyXmlSignature", verify)} (xmlsec1: OK)`,
    );
  }
} finally {
  lab.dispose();
}
