import { endsSentence } from './sentences';

const EXPLICIT = /^(?:oleh|by|penulis|reporter|wartawan|written by|laporan|kontributor|author)\s*[:：]?\s+(\S.{0,120})$/i;
const SEPARATOR = /\s+[|·•–—-]\s+|\s*\|\s*/;
// A handle or a name of up to four words: "keren989", "@budi_s", "Ahmad Santoso", "Jane O'Neill"
const BARE = /^@?[\p{L}\p{N}_.'’-]{2,30}(?: [\p{L}\p{N}_.'’-]{1,30}){0,3}$/u;

const nameOk = (name: string) => name.length >= 2 && name.length <= 80 && name.split(/\s+/).length <= 8 && !endsSentence(name) && !/[“”"?!]/.test(name);

/** "Oleh Ahmad Santoso | 18 April 2023" -> "Ahmad Santoso": a line that says it is the byline. */
export function explicitByline(text: string): string | undefined {
  if (text.length < 5 || text.length > 140) return undefined;
  const m = EXPLICIT.exec(text);
  if (!m) return undefined;
  const name = m[1]!.split(SEPARATOR)[0]!.trim().replace(/[,;:]$/, '');
  return nameOk(name) ? name : undefined;
}

/** A line that could be an author's handle or name on its own; only believed next to page chrome. */
export function bareByline(text: string): string | undefined {
  if (text.length < 2 || text.length > 40 || !BARE.test(text) || endsSentence(text)) return undefined;
  return text;
}
