/**
 * Redis's own account of the commands it ran (`INFO commandstats` through
 * redis-cli): calls and CPU microseconds per command, so that a recovery
 * can be told in commands (how many reads 1,000 recovering subscribers
 * cost) and not only in CPU seconds.
 *
 * @module
 */

/** Per command: calls and the CPU time Redis spent in it, µs. */
export type CommandStats = Record<string, { calls: number; usec: number }>;

/** The server's command statistics now; empty when redis-cli is missing or fails. */
export async function commandStats(port: number): Promise<CommandStats> {
  try {
    const out = await new Deno.Command("redis-cli", { args: ["-p", String(port), "INFO", "commandstats"], stdout: "piped", stderr: "null" })
      .output();
    const stats: CommandStats = {};
    for (const m of new TextDecoder().decode(out.stdout).matchAll(/^cmdstat_([\w|]+):calls=(\d+),usec=(\d+)/gm)) {
      stats[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
    }
    return stats;
  } catch {
    return {};
  }
}

/** What ran between two readings (commands that ran at least once). */
export function commandsBetween(before: CommandStats, after: CommandStats): CommandStats {
  const out: CommandStats = {};
  for (const [name, a] of Object.entries(after)) {
    const b = before[name] ?? { calls: 0, usec: 0 };
    if (a.calls > b.calls) out[name] = { calls: a.calls - b.calls, usec: a.usec - b.usec };
  }
  return out;
}

/** Redis's CPU seconds so far (INFO cpu: used_cpu_user + used_cpu_sys, µs precision, every thread); NaN when unreadable. */
export async function redisCpuSeconds(port: number): Promise<number> {
  try {
    const out = await new Deno.Command("redis-cli", { args: ["-p", String(port), "INFO", "cpu"], stdout: "piped", stderr: "null" })
      .output();
    const text = new TextDecoder().decode(out.stdout);
    const user = /^used_cpu_user:([\d.]+)/m.exec(text);
    const sys = /^used_cpu_sys:([\d.]+)/m.exec(text);
    return user === null || sys === null ? NaN : Number(user[1]) + Number(sys[1]);
  } catch {
    return NaN;
  }
}
