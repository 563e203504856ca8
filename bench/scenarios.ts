/**
 * The scenarios `npm run bench` measures, with their full and quick sizes,
 * and which runtime runs the load generator for each (and why).
 *
 * @module
 */

import type { LoadSpec } from "./loadgen.ts";
import type { ServerMode } from "./servers/mode.ts";

/** One scenario: which server mode, which client, how much load, how many rounds. */
export interface Scenario {
  id: string;
  title: string;
  /** What the table's "messages" are. */
  unit: string;
  serverMode: ServerMode;
  /** The runtime running the load generator (the same for every target). */
  client: "deno" | "bun";
  /** Why that client. */
  clientWhy: string;
  /** The load, minus url and serverPid. */
  load: Omit<LoadSpec, "url" | "serverPid">;
  /** Rounds for the floor and fullduplex targets, and for the peers. */
  headlineRounds: number;
  peerRounds: number;
  /** A fresh server for every run (idle: memory per connection needs a clean baseline). */
  freshServerPerRun: boolean;
  /** Included in the README's headline table. */
  headline: boolean;
}

/** Overrides for `BENCH_ROUNDS` (headline rounds of the small and large echo). */
export interface ScenarioOptions {
  quick: boolean;
  headlineRounds?: number;
}

const DENO_SMALL =
  "for small messages a Deno client drives every server harder than a Bun client (the Bun client saturates first: RUNTIMES.md)";
const BUN_LARGE = "for 64 KiB messages a Bun client keeps every server at a full core (RUNTIMES.md)";

/** The scenarios, full size or quick (a seconds-long correctness smoke run). */
export function scenarios(options: ScenarioOptions): Scenario[] {
  const q = options.quick;
  const echoRounds = q ? 1 : options.headlineRounds ?? 5;
  return [
    {
      id: "small",
      title: "Small echo: 100 connections, 32-byte text, 8 in flight per connection",
      unit: "echoes",
      serverMode: "echo",
      client: "deno",
      clientWhy: DENO_SMALL,
      load: {
        mode: "echo",
        connections: q ? 10 : 100,
        size: 32,
        binary: false,
        window: 8,
        warmupMs: q ? 100 : 300,
        steadyMs: q ? 300 : 5000,
      },
      headlineRounds: echoRounds,
      peerRounds: q ? 1 : 3,
      freshServerPerRun: false,
      headline: true,
    },
    {
      id: "large",
      title: "Large echo: 50 connections, 64 KiB binary, 8 in flight per connection",
      unit: "echoes",
      serverMode: "echo",
      client: "bun",
      clientWhy: BUN_LARGE,
      load: {
        mode: "echo",
        connections: q ? 5 : 50,
        size: 65536,
        binary: true,
        window: 8,
        warmupMs: q ? 100 : 300,
        steadyMs: q ? 300 : 5000,
      },
      headlineRounds: echoRounds,
      peerRounds: q ? 1 : 3,
      freshServerPerRun: false,
      headline: true,
    },
    {
      id: "json",
      title: "JSON echo: 100 connections, a ~130-byte JSON object parsed and re-encoded, 8 in flight",
      unit: "echoes",
      serverMode: "json",
      client: "deno",
      clientWhy: DENO_SMALL,
      load: { mode: "json", connections: q ? 10 : 100, window: 8, warmupMs: q ? 100 : 300, steadyMs: q ? 300 : 2000 },
      headlineRounds: q ? 1 : 3,
      peerRounds: q ? 1 : 3,
      freshServerPerRun: false,
      headline: false,
    },
    {
      id: "fanout",
      title: "Fan-out: 1 publisher → 1,000 subscribers, 32-byte text, 4 publications outstanding",
      unit: "deliveries",
      serverMode: "fanout",
      client: "bun",
      clientWhy:
        "a Deno client receiving for 1,000 sockets caps a Bun server near 70k deliveries/s at half a core; a Bun client takes it past 300k/s (measured while building this harness)",
      load: { mode: "fanout", connections: q ? 20 : 1000, window: 4, warmupMs: q ? 100 : 300, steadyMs: q ? 300 : 2000 },
      headlineRounds: q ? 1 : 3,
      peerRounds: q ? 1 : 3,
      freshServerPerRun: false,
      headline: false,
    },
    {
      id: "idle",
      title: "Idle connections: 10,000 opened (at most 100 handshakes at a time), then each answers one echo",
      unit: "connections",
      serverMode: "echo",
      client: "bun",
      clientWhy:
        "a Bun client opens 10,000 connections about twice as fast as a Deno client (0.6 s vs 1.1 s), so opening time is the server's",
      load: { mode: "idle", connections: q ? 200 : 10_000, concurrency: 100 },
      headlineRounds: q ? 1 : 3,
      peerRounds: q ? 1 : 3,
      freshServerPerRun: true,
      headline: false,
    },
  ];
}
