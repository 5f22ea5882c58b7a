import { ConfigError } from './config-error';

/** "6h" -> 21600; a bare number is seconds. The schema has already checked the shape. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhd])?$/i.exec(value.trim());
  if (!m) throw new ConfigError(`Invalid duration: ${value}`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}
