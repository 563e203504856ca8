/**
 * How the kernel spread connections over the processes sharing a port
 * (reusePort): the server side of every established connection to the
 * port, counted per owning pid, from `ss -tnp` (iproute2). Runs on Deno and
 * Bun (node:child_process). Bun's listener uses TCP_DEFER_ACCEPT, so a
 * connection that has sent nothing yet is not counted (it is still in
 * SYN-RECV on the server side): count after the handshakes.
 *
 * @module
 */

import { execFileSync } from "node:child_process";

/** Established connections to `port` per owning pid; empty when `ss` is missing. */
export function connectionsByPid(port: number): Record<string, number> {
  let text: string;
  try {
    text = execFileSync("ss", ["-Htnp", "state", "established", `( sport = :${port} )`], { encoding: "utf8" });
  } catch {
    return {};
  }
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/pid=(\d+)/g)) counts[m[1]] = (counts[m[1]] ?? 0) + 1;
  return counts;
}
