/**
 * Opens the Redis command connection of the runtime this is (Bun's
 * built-in client or node-redis on Deno). Internal.
 *
 * @module
 */

import type { RedisCommands, RedisCommandsOptions } from "./redis_commands.ts";
import { openBunCommands } from "./redis_commands_bun.ts";
import { openDenoCommands } from "./redis_commands_deno.ts";
import { detectRuntime } from "../shared/runtime.ts";
import { UnsupportedRuntimeError } from "../shared/errors.ts";

/** Opens a command connection with the client of the runtime this is. Rejects when Redis cannot be reached. */
export async function openRedisCommands(url: string, options: RedisCommandsOptions): Promise<RedisCommands> {
  const runtime = detectRuntime();
  if (runtime === "bun") return await openBunCommands(url, options);
  if (runtime === "deno") return await openDenoCommands(url, options);
  throw new UnsupportedRuntimeError(`fullduplex's Redis support runs on Deno and Bun, not ${runtime}`);
}
