import fs from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Keys } from './keys';

/** One Lua script as Redis runs it: its includes spliced in. */
export interface Script {
  /** The file's name without `-<keys>.lua`, e.g. `record-outcome`. */
  name: string;
  /** How many KEYS it takes (the `-<n>` of its file name, as in BullMQ's `src/commands`). */
  keys: number;
  lua: string;
}

const COMMAND_FILE = /^([a-z][a-z0-9-]*)-(\d+)\.lua$/;
const INCLUDE = /^--- @include "([a-z][a-z0-9-]*)"\s*$/gm;

/**
 * Reads a feature's `commands/*.lua`. A line `--- @include "name"` is replaced by
 * `commands/includes/name.lua` (itself able to include others); each include goes in once per
 * script, so two that need the same helper do not define it twice.
 */
export function loadCommands(dir: string): Script[] {
  const includes = path.join(dir, 'includes');
  const expand = (source: string, seen: Set<string>): string =>
    source.replace(INCLUDE, (_line, name: string) => {
      if (seen.has(name)) return '';
      seen.add(name);
      return expand(fs.readFileSync(path.join(includes, `${name}.lua`), 'utf8'), seen);
    });
  return fs
    .readdirSync(dir)
    .map((file) => COMMAND_FILE.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([file, name, keys]) => ({ name: name!, keys: Number(keys), lua: expand(fs.readFileSync(path.join(dir, file!), 'utf8'), new Set()) }));
}

type Runner = (...args: (string | number)[]) => Promise<unknown>;
export type RunScript = (name: string, keys: string[], args: (string | number)[]) => Promise<unknown>;

/**
 * Registers scripts on a connection (ioredis sends EVALSHA and falls back to EVAL) and returns one
 * entry point, so callers never touch ioredis's dynamically added methods. The command is named
 * `kilat:<name>`, so two features' scripts never meet on one connection.
 */
export function defineScripts(redis: Redis, scripts: Script[]): RunScript {
  const target = redis as unknown as Record<string, Runner | undefined>;
  const byName = new Map(scripts.map((s) => [s.name, s]));
  for (const s of scripts) {
    if (!target[`kilat:${s.name}`]) redis.defineCommand(`kilat:${s.name}`, { numberOfKeys: s.keys, lua: s.lua });
  }
  return (name, keys, args) => {
    const spec = byName.get(name);
    if (!spec) throw new Error(`no Lua script ${name}`);
    if (keys.length !== spec.keys) throw new Error(`script ${name} takes ${spec.keys} keys, got ${keys.length}`);
    return (target[`kilat:${name}`] as Runner).call(redis, ...keys, ...args);
  };
}

/** What each store part starts from: its connection, the key layout and its feature's scripts. */
export abstract class ScriptedStore {
  protected readonly redis: Redis;
  protected readonly keys: Keys;
  protected readonly run: RunScript;

  protected constructor(deps: { redis: Redis; keys: Keys }, scripts: Script[]) {
    this.redis = deps.redis;
    this.keys = deps.keys;
    this.run = defineScripts(deps.redis, scripts);
  }
}
