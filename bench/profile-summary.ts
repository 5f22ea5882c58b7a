import fs from 'node:fs';

/** Where a worker's CPU time goes, per message, from V8 CPU profiles (`--cpu-prof`) taken during an alert. */
export interface ProfileSummary {
  messages: number;
  /** CPU time of the worker processes (utime + stime from /proc) over the alert, in ms. */
  workerCpuMs: number;
  /** workerCpuMs per message, in µs: the figure the parts below add up to. */
  cpuUsPerMessage: number;
  /** Share of the sampled time the workers were busy (not idle in the event loop). */
  busyShare: number;
  parts: { part: string; usPerMessage: number; share: number }[];
  /** The functions with the most self time, per message. */
  top: { fn: string; usPerMessage: number }[];
  profiles: string[];
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

type Rule = { part: string; priority: number; test: (url: string, fn: string) => boolean };

// A sample goes to the highest-priority part found on its stack, the innermost frame on a tie: the
// Redis command a ledger write issues is the ledger's, a reply parsed from the socket with no
// Kilat frame above it is the Redis client's, and the send loop gets only its own code.
const SPECIFIC = 3;
const LIBRARY = 2;
const GENERIC = 1;
const src = (file: string) => (url: string) => url.includes(`/dist/src/${file}.js`);
const RULES: Rule[] = [
  { part: 'tokens and links', priority: SPECIFIC, test: (u) => /\/dist\/src\/subscribers\/(tokens|links|message-tags)\.js/.test(u) },
  { part: 'DKIM signing', priority: SPECIFIC, test: src('mail/dkim') },
  { part: 'encoding', priority: SPECIFIC, test: (u, fn) => src('mail/message-template')(u) && /^(encode|encodeLines|base64Lines)$/.test(fn) },
  { part: 'personalising', priority: SPECIFIC, test: (u, fn) => src('mail/message-template')(u) || (src('mail/render')(u) && fn === 'fillPieces') },
  { part: 'SMTP writes and reply parsing', priority: SPECIFIC, test: (u) => /\/dist\/src\/mail\/(smtp-connection|smtp-pool|transport)\.js/.test(u) },
  { part: 'ledger writes', priority: SPECIFIC, test: (u, fn) => (src('alerts/alert-store')(u) && /^(record|recordNew|finishBatch)$/.test(fn)) || (src('alerts/send-batch')(u) && /^(pump|start|add|drain)$/.test(fn)) },
  { part: 'fetching the batch', priority: SPECIFIC, test: (u) => /\/dist\/src\/(subscribers\/(subscriber-store|active-subscribers|digest-preferences)|alerts\/alert-store)\.js/.test(u) },
  { part: 'Redis client (replies, commands)', priority: LIBRARY, test: (u) => /node_modules\/(ioredis|@ioredis|redis-parser|redis-errors|denque|cluster-key-slot|standard-as-callback)\//.test(u) },
  { part: 'queue (BullMQ)', priority: LIBRARY, test: (u) => /node_modules\/(bullmq|msgpackr|cron-parser)\//.test(u) },
  { part: 'logging', priority: LIBRARY, test: (u) => /node_modules\/(pino|sonic-boom|thread-stream|fast-redact|quick-format-unescaped)\//.test(u) || src('logger')(u) },
  { part: 'send loop and batch logic', priority: GENERIC, test: (u) => /\/dist\/(src|workers)\//.test(u) },
];
export const PARTS = ['fetching the batch', 'tokens and links', 'personalising', 'encoding', 'DKIM signing', 'SMTP writes and reply parsing', 'ledger writes', 'Redis client (replies, commands)', 'queue (BullMQ)', 'logging', 'send loop and batch logic', 'GC', 'other'];

/** Sampled µs per part (and per function, self time) within [fromUs, toUs] (V8's monotonic clock, as process.hrtime). */
export function attribute(profile: CpuProfile, fromUs: number, toUs: number): { parts: Map<string, number>; self: Map<string, number>; idle: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const cat = new Map<number, { part: string; priority: number }>();
  const partOf = (id: number): { part: string; priority: number } => {
    const known = cat.get(id);
    if (known) return known;
    const node = byId.get(id)!;
    const { functionName: fn, url } = node.callFrame;
    let own: { part: string; priority: number } | undefined;
    if (fn === '(garbage collector)') own = { part: 'GC', priority: 9 };
    else if (fn === '(idle)') own = { part: 'idle', priority: 9 };
    else {
      const rule = RULES.find((r) => r.test(url, fn));
      if (rule) own = { part: rule.part, priority: rule.priority };
    }
    const p = parent.get(id);
    const up = p === undefined ? { part: 'other', priority: 0 } : partOf(p);
    const result = own && own.priority >= up.priority ? own : up;
    cat.set(id, result);
    return result;
  };
  const parts = new Map<string, number>();
  const self = new Map<string, number>();
  let idle = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    const next = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    const { part } = partOf(id);
    if (part === 'idle') {
      idle += next;
      continue;
    }
    parts.set(part, (parts.get(part) ?? 0) + next);
    const f = byId.get(id)!.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + next);
  }
  return { parts, self, idle };
}

/**
 * The parts of each message's CPU time: each part's share of the sampled busy time of the worker
 * profiles in the window, times the workers' measured CPU time (which, unlike wall-clock samples,
 * does not stretch when other processes share the cores), divided by the messages.
 */
export function summariseProfiles(files: string[], window: { fromUs: number; toUs: number }, messages: number, workerCpuMs: number): ProfileSummary {
  const parts = new Map<string, number>();
  const self = new Map<string, number>();
  let idle = 0;
  for (const file of files) {
    const r = attribute(JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile, window.fromUs, window.toUs);
    for (const [k, v] of r.parts) parts.set(k, (parts.get(k) ?? 0) + v);
    for (const [k, v] of r.self) self.set(k, (self.get(k) ?? 0) + v);
    idle += r.idle;
  }
  const busy = [...parts.values()].reduce((a, b) => a + b, 0);
  const cpuUsPerMessage = (workerCpuMs * 1000) / messages;
  const perMessage = (sampled: number) => (busy > 0 ? (sampled / busy) * cpuUsPerMessage : 0);
  return {
    messages,
    workerCpuMs: Math.round(workerCpuMs),
    cpuUsPerMessage: Number(cpuUsPerMessage.toFixed(1)),
    busyShare: Number((busy / Math.max(1, busy + idle)).toFixed(3)),
    parts: PARTS.map((part) => ({ part, usPerMessage: Number(perMessage(parts.get(part) ?? 0).toFixed(1)), share: Number(((parts.get(part) ?? 0) / Math.max(1, busy)).toFixed(3)) })),
    top: [...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([fn, v]) => ({ fn, usPerMessage: Number(perMessage(v).toFixed(1)) })),
    profiles: files,
  };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc; undefined once it is gone. */
export function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) in clock ticks; Linux reports them at 100 per second.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}
