import type { Redis } from 'ioredis';

export interface ScriptSpec {
  keys: number;
  lua: string;
}

type Runner = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Registers Lua scripts on a connection (ioredis sends EVALSHA and falls back to EVAL) and returns
 * one typed entry point, so callers never touch ioredis's dynamically added methods.
 */
export function defineScripts<T extends Record<string, ScriptSpec>>(
  redis: Redis,
  scripts: T,
): (name: keyof T & string, keys: string[], args: (string | number)[]) => Promise<unknown> {
  const target = redis as unknown as Record<string, Runner | undefined>;
  for (const [name, spec] of Object.entries(scripts)) {
    if (!target[name]) redis.defineCommand(name, { numberOfKeys: spec.keys, lua: spec.lua });
  }
  return (name, keys, args) => {
    const spec = scripts[name]!;
    if (keys.length !== spec.keys) throw new Error(`script ${name} takes ${spec.keys} keys, got ${keys.length}`);
    return (target[name] as Runner).call(redis, ...keys, ...args);
  };
}
