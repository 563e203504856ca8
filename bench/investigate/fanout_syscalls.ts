/**
 * Why does a Deno server cost several times a Bun server per fan-out
 * delivery (bench/FINDINGS.md, "Fan-out across servers")? Runs each
 * single-process fan-out server (the raw hand loop and fullduplex on Deno,
 * native publish and fullduplex on Bun, socket.io on Node) under the
 * cluster fan-out load (1,000 subscribers, 64 publications outstanding, the
 * Bun client of bench/cluster/fanout_client.ts) and counts, over the whole
 * client run, the server's send system calls (`perf stat` on the
 * sys_enter_sendto/write/writev tracepoints) and its user vs kernel CPU
 * time (/proc), per delivery.
 *
 * Usage: `deno run -A bench/investigate/fanout_syscalls.ts` (about a
 * minute; needs `perf` with tracepoints, i.e. root or perf_event_paranoid ≤ 1).
 * Per server prints one `RESULT {json}` line.
 *
 * The counts cover the whole run, handshakes and probes included (a few
 * thousand calls against hundreds of thousands of deliveries).
 *
 * @module
 */

import type { FanoutResult, FanoutSpec } from "../cluster/fanout_client.ts";
import { runForResult, startProcess, stopServer } from "../processes.ts";
import type { ProcessSpec } from "../processes.ts";

const SERVERS: ProcessSpec[] = [
  { name: "raw-deno (hand loop)", runtime: "deno", script: "bench/servers/raw_deno.ts", args: ["fanout"] },
  { name: "fullduplex-deno", runtime: "deno", script: "bench/servers/fullduplex.ts", args: ["fanout"] },
  { name: "raw-bun (native publish)", runtime: "bun", script: "bench/servers/raw_bun.ts", args: ["fanout"] },
  { name: "fullduplex-bun", runtime: "bun", script: "bench/servers/fullduplex.ts", args: ["fanout"] },
  { name: "socket.io-node", runtime: "node", script: "bench/servers/socketio_node.mjs", args: ["fanout"] },
];
const CALLS = ["sendto", "write", "writev", "sendmsg"];

/** utime and stime in seconds (/proc/<pid>/stat fields 14 and 15). */
function times(pid: number): { user: number; system: number } {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

async function measure(spec: ProcessSpec): Promise<Record<string, unknown>> {
  const server = await startProcess(spec);
  const out = await Deno.makeTempFile({ suffix: ".perf" });
  try {
    const perf = new Deno.Command("perf", {
      args: ["stat", "-x,", "-o", out, "-p", String(server.pid), "-e", CALLS.map((c) => `syscalls:sys_enter_${c}`).join(",")],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    await new Promise((resolve) => setTimeout(resolve, 300)); // perf attached
    const t0 = times(server.pid);
    const load: FanoutSpec = {
      driver: spec.runtime === "node" ? "socketio-raw" : "ws",
      subscriberUrls: [`ws://127.0.0.1:${server.port}`],
      publisherUrl: `ws://127.0.0.1:${server.port}`,
      subscribers: 1000,
      window: 64,
      warmupMs: 500,
      steadyMs: 3000,
      cpu: { server: [server.pid] },
    };
    const r = await runForResult<FanoutResult>("bun", "bench/cluster/fanout_client.ts", [JSON.stringify(load)], 120_000);
    const t1 = times(server.pid);
    perf.kill("SIGINT");
    const status = await perf.output();
    const counts: Record<string, number> = {};
    for (const line of (await Deno.readTextFile(out)).split("\n")) {
      const m = /^(\d+),,syscalls:sys_enter_(\w+),/.exec(line);
      if (m !== null) counts[m[2]] = Number(m[1]);
    }
    // Every publication reached every subscriber (the client checks it), probes aside.
    const deliveries = r.publications * load.subscribers;
    const sends = Object.values(counts).reduce((a, b) => a + b, 0);
    const user = t1.user - t0.user;
    const system = t1.system - t0.system;
    return {
      server: spec.name,
      ok: r.ok,
      error: r.error,
      deliveriesPerSecond: Math.round(r.deliveriesPerSecond),
      cpuPer100k: Number((((user + system) * 100_000) / deliveries).toFixed(3)),
      kernelShare: Number((system / (user + system)).toFixed(2)),
      sendCallsPerDelivery: sends > 0 ? Number((sends / deliveries).toFixed(3)) : null,
      deliveriesPerSendCall: sends > 0 ? Number((deliveries / sends).toFixed(1)) : null,
      calls: counts,
      perf: sends > 0 ? "ok" : new TextDecoder().decode(status.stderr).trim().slice(0, 200) || "no counts (perf missing?)",
    };
  } finally {
    await stopServer(server);
    await Deno.remove(out).catch(() => {});
  }
}

for (const spec of SERVERS) {
  const result = await measure(spec).catch((err) => ({ server: spec.name, ok: false, error: String(err) }));
  console.log("RESULT " + JSON.stringify(result));
}
