// The enrollment portal with millions of applications (the seed's portal serves 3.7 million users),
// on SQLite and PostgreSQL: status lookups at 200 concurrent requests, submissions per second (CSR
// checks included) and the home page's server time.
// Run: node --import tsx bench/portal.bench.ts [--applications 4000000] [--engine both|sqlite|postgres]
//      [--lookups 20000] [--concurrency 200] [--rounds 3] [--submissions 600]
//      [--phases home,status,open,submit,serve] [--serve-workers 2] [--serve-seconds 10]
//      [--compare-with OTHER_CHECKOUT]...
// "serve" runs `qoltanba serve --workers N` on the filled database and loads it with wrk.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { cpuSince, cpuSnapshot } from "./cpuUsage.ts";
import { DEMO_PERSONS_FILE, newApplicationNumber, POSTGRES_BENCH_URL } from "./support.ts";
import { load, type LoadRequest } from "./httpLoad.ts";
import { describePauses, watchPauses } from "./pauses.ts";
import {
  benchCsrs,
  enginesOf,
  FILL_OPTIONS,
  filledPortal,
  iinOf,
  numberOf,
  PASSWORD,
  servePortal,
  type Engine,
} from "./portalFill.ts";
import { statusOverServe } from "./portalStatusOverServe.ts";

const { values } = parseArgs({
  options: {
    ...FILL_OPTIONS,
    lookups: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "200" },
    submissions: { type: "string", default: "600" },
    rounds: { type: "string", default: "3" },
    phases: { type: "string", default: "home,status,open,submit,serve" },
    "serve-workers": { type: "string", default: "2" },
    "serve-seconds": { type: "string", default: "10" },
    "compare-with": { type: "string", multiple: true, default: [] },
  },
});
const PHASES = new Set(values.phases.split(","));
const APPLICATIONS = Number(values.applications);
const LOOKUPS = Number(values.lookups);
const CONCURRENCY = Number(values.concurrency);
const SUBMISSIONS = Number(values.submissions);
const ROUNDS = Number(values.rounds);
const DEMO_IINS = readFileSync(DEMO_PERSONS_FILE, "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((line) => line.split(",")[0]!);

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const ms = (value: number) => `${value.toFixed(2)} ms`;

async function run(engine: Engine) {
  const csrs = await benchCsrs(2 * SUBMISSIONS + 1);
  const filled = await filledPortal(engine, APPLICATIONS, csrs.pop()!);
  try {
    const { portal } = filled;
    await portal.store.db
      .updateTable("counters")
      .set({ value: 3_706_694 })
      .where("name", "=", "users_total")
      .execute();
    await portal.store.db
      .updateTable("counters")
      .set({ value: 3_346_934 })
      .where("name", "=", "users_individual")
      .execute();
    await portal.store.db
      .updateTable("counters")
      .set({ value: 294_745 })
      .where("name", "=", "users_legal")
      .execute();

    const serverTimes = new Map<string, number[]>();
    const { server, port, csrf } = await servePortal(filled, (app) =>
      app.addHook("onResponse", async (request, reply) => {
        const key = `${request.method} ${request.url}`;
        if (!serverTimes.has(key)) serverTimes.set(key, []);
        serverTimes.get(key)!.push(reply.elapsedTime);
      }),
    );
    const { cookie: csrfCookie, token: csrfToken } = csrf;
    const cookie = `qcsrf=${csrfCookie}`;

    if (PHASES.has("home")) {
      // Home page: server time of each request, one at a time.
      for (let i = 0; i < 3000; i++) await fetch(`http://127.0.0.1:${port}/`).then((response) => response.arrayBuffer());
      const home = serverTimes
        .get("GET /")!
        .slice(500)
        .sort((a, b) => a - b);
      console.log(
        `${engine}: home page server time p50 ${ms(percentile(home, 0.5))}, p99 ${ms(percentile(home, 0.99))} (${home.length} requests)`,
      );
    }

    // Status lookups: number and IIN, random applications that wait for confirmation.
    const submittedIndexes = Array.from({ length: Math.floor(APPLICATIONS / 40) }, (_, k) => k * 40);
    const lookups: LoadRequest[] = Array.from({ length: LOOKUPS }, () => {
      const i = submittedIndexes[Math.floor(Math.random() * submittedIndexes.length)]!;
      return {
        path: "/status",
        body: new URLSearchParams({ _csrf: csrfToken, number: numberOf(i), iin: iinOf(i) }).toString(),
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        expect: 'data-status="submitted"',
      };
    });
    if (PHASES.has("status") || PHASES.has("open")) await load(port, lookups.slice(0, 2000), CONCURRENCY);
    if (PHASES.has("status"))
      for (let round = 1; round <= ROUNDS; round++) {
        serverTimes.set("POST /status", []);
        const busy = performance.eventLoopUtilization();
        const cpu = cpuSnapshot();
        const pauses = watchPauses();
        const status = await load(port, lookups, CONCURRENCY);
        const stalls = pauses();
        const used = cpuSince(cpu);
        const statusBusy = performance.eventLoopUtilization(busy).active / LOOKUPS;
        const statusLatencies = status.latencies.sort((a, b) => a - b);
        const statusServer = serverTimes.get("POST /status")!.sort((a, b) => a - b);
        console.log(
          `${engine}: status lookups, ${CONCURRENCY} always in flight (round ${round}): ${(LOOKUPS / status.seconds).toFixed(0)}/s, latency p50 ${ms(percentile(statusLatencies, 0.5))}, p99 ${ms(percentile(statusLatencies, 0.99))}; server time p50 ${ms(percentile(statusServer, 0.5))}, p99 ${ms(percentile(statusServer, 0.99))}; server thread busy ${ms(statusBusy)}, CPU ${ms(used.mainThread / 1000 / LOOKUPS)} per lookup (other threads, the load generator's included, ${ms((used.process - used.mainThread) / 1000 / LOOKUPS)}); server thread ${describePauses(stalls)}; load ${loadavg()[0]!.toFixed(1)}; failures ${status.failures} ${status.firstFailure}`,
        );
      }
    if (PHASES.has("open"))
      for (const rate of [500, 1000, 2000]) {
        const paced = await load(port, lookups.slice(0, Math.min(LOOKUPS, rate * 8)), CONCURRENCY, rate);
        const latencies = paced.latencies.sort((a, b) => a - b);
        console.log(
          `${engine}: status lookups arriving at ${rate}/s (up to ${CONCURRENCY} in flight): latency p50 ${ms(percentile(latencies, 0.5))}, p99 ${ms(percentile(latencies, 0.99))}; failures ${paced.failures}`,
        );
      }

    if (PHASES.has("submit")) {
      // Submissions: each with its own IIN check (made beforehand, as the captcha step would) and fresh keys.
      const expires = new Date(Date.now() + 3_600_000).toISOString();
      const tickets = Array.from({ length: SUBMISSIONS }, (_, k) => ({
        id: `bench-${k}-${randomBytes(6).toString("hex")}`,
        iin: DEMO_IINS[k % DEMO_IINS.length]!,
        number: newApplicationNumber(),
      }));
      for (let from = 0; from < tickets.length; from += 200) {
        await portal.store.db
          .insertInto("captchas")
          .values(
            tickets.slice(from, from + 200).map((ticket) => ({
              id: ticket.id,
              answer: "0",
              state: "checked" as const,
              expires_at: expires,
              iin: ticket.iin,
              application_number: ticket.number,
            })),
          )
          .execute();
      }
      const submissions: LoadRequest[] = tickets.map((ticket, k) => ({
        path: "/apply/submit",
        body: JSON.stringify({
          iin: ticket.iin,
          region: "almaty",
          locality: "almaty.bostandyk",
          center: "almaty.bostandyk.rc",
          storage: "file",
          authCsr: csrs[2 * k],
          signCsr: csrs[2 * k + 1],
        }),
        headers: {
          cookie: `${cookie}; qticket=${ticket.id}`,
          "content-type": "application/json",
          accept: "application/json",
          "x-csrf-token": csrfToken,
        },
        expect: '"number"',
      }));
      const before = await portal.store.countApplications();
      serverTimes.set("POST /apply/submit", []);
      const busy = performance.eventLoopUtilization();
      const cpu = cpuSnapshot();
      const submitted = await load(port, submissions, 20);
      const submitBusy = performance.eventLoopUtilization(busy).active / SUBMISSIONS;
      const submitCpu = cpuSince(cpu).mainThread / 1000 / SUBMISSIONS;
      const after = await portal.store.countApplications();
      const submitServer = serverTimes.get("POST /apply/submit")!.sort((a, b) => a - b);
      console.log(
        `${engine}: submissions (2 CSR signatures, IIN, registry, key checks, one transaction): ${(SUBMISSIONS / submitted.seconds).toFixed(0)}/s at 20 concurrent; server time p50 ${ms(percentile(submitServer, 0.5))}, p99 ${ms(percentile(submitServer, 0.99))}; server thread busy ${ms(submitBusy)}, CPU ${ms(submitCpu)} per submission; stored ${after - before}/${SUBMISSIONS}; failures ${submitted.failures} ${submitted.firstFailure}`,
      );
    }

    await server.close();

    if (PHASES.has("serve"))
      await statusOverServe({
        label: engine,
        dir: filled.dir,
        postgresUrl: filled.schema && `${POSTGRES_BENCH_URL}?schema=${filled.schema}`,
        password: PASSWORD,
        csrf: { cookie: csrfCookie, token: csrfToken },
        lookups: Array.from({ length: 100_000 }, () => {
          const i = submittedIndexes[Math.floor(Math.random() * submittedIndexes.length)]!;
          return { number: numberOf(i), iin: iinOf(i) };
        }),
        workers: Number(values["serve-workers"]),
        connections: CONCURRENCY,
        seconds: Number(values["serve-seconds"]),
        rounds: ROUNDS,
        compareWith: values["compare-with"],
      });
  } finally {
    await filled.close(); // a 4,000,000-application run leaves no 5 GB folder behind, even when it fails
  }
}

for (const engine of enginesOf(values.engine)) await run(engine);
