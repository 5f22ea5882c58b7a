import type { Redis } from 'ioredis';
import type { Keys } from '../keys';

/** Send latency buckets (seconds) and publish-to-90% buckets (seconds), shared by writer and reader. */
export const SEND_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
export const P90_BUCKETS = [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600] as const;

/** Field names in the `{g}:metrics` hash. */
export const METRIC_FIELDS = {
  sent: 'emails_sent',
  failed: 'emails_failed',
  suppressed: 'emails_suppressed',
  /** Alerts Kilat paused itself, per cause: `alerts_self_paused:relay` etc. */
  selfPaused: 'alerts_self_paused',
  latency: 'send_latency',
  p90: 'publish_to_p90',
  bouncesUnmatched: 'bounces_unmatched',
} as const;

const CURVE_TTL_SECONDS = 30 * 24 * 3600;
/** Width of one delivery-curve bucket: fine enough to time publish-to-90% of a small alert. */
export const CURVE_BUCKET_MS = 100;

function bucketOf(buckets: readonly number[], value: number): string {
  const le = buckets.find((b) => value <= b);
  return le === undefined ? '+Inf' : String(le);
}

/**
 * Worker-side metrics. Every worker process counts sends in memory and adds them to Redis once a
 * second (one pipeline), so GET /metrics in the API process sees the sum of all workers without
 * a Redis round trip per email. The same flush writes each alert's delivery curve (sent per second).
 */
export class MetricsRecorder {
  private counts = new Map<string, number>();
  private latencySum = 0;
  private curves = new Map<string, Map<number, number>>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: { redis: Redis; keys: Keys; flushMs?: number }) {
    this.timer = setInterval(() => void this.flush(), deps.flushMs ?? 1000);
    this.timer.unref();
  }

  private add(field: string, n = 1): void {
    this.counts.set(field, (this.counts.get(field) ?? 0) + n);
  }

  sent(alertId: string, latencyMs: number, now = Date.now()): void {
    this.add(METRIC_FIELDS.sent);
    this.add(`${METRIC_FIELDS.latency}:${bucketOf(SEND_LATENCY_BUCKETS, latencyMs / 1000)}`);
    this.add(`${METRIC_FIELDS.latency}:count`);
    this.latencySum += latencyMs / 1000;
    let curve = this.curves.get(alertId);
    if (!curve) this.curves.set(alertId, (curve = new Map()));
    const bucket = Math.floor(now / CURVE_BUCKET_MS);
    curve.set(bucket, (curve.get(bucket) ?? 0) + 1);
  }

  failed(): void {
    this.add(METRIC_FIELDS.failed);
  }

  suppressed(): void {
    this.add(METRIC_FIELDS.suppressed);
  }

  /** Counted at once (rare, and an operator wants to see it now), not at the next flush. */
  async selfPaused(cause: string): Promise<void> {
    await this.deps.redis.hincrby(this.deps.keys.metrics(), `${METRIC_FIELDS.selfPaused}:${cause}`, 1).catch(() => this.add(`${METRIC_FIELDS.selfPaused}:${cause}`));
  }

  /** Writes what was counted since the last flush; flushes never overlap. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write()).catch(() => undefined);
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.counts.size === 0 && this.curves.size === 0) return;
    const counts = this.counts;
    const latencySum = this.latencySum;
    const curves = this.curves;
    this.counts = new Map();
    this.latencySum = 0;
    this.curves = new Map();
    // One pipeline per hash tag ({g} counters, each alert's {a<id>} curve): on Redis Cluster a
    // pipeline must stay within one slot.
    const p = this.deps.redis.pipeline();
    const key = this.deps.keys.metrics();
    for (const [field, n] of counts) p.hincrby(key, field, n);
    if (latencySum > 0) p.hincrbyfloat(key, `${METRIC_FIELDS.latency}:sum`, latencySum);
    const pipelines = [p];
    for (const [alertId, curve] of curves) {
      const c = this.deps.redis.pipeline();
      const curveKey = this.deps.keys.alertCurve(alertId);
      for (const [second, n] of curve) c.hincrby(curveKey, String(second), n);
      c.expire(curveKey, CURVE_TTL_SECONDS);
      pipelines.push(c);
    }
    try {
      await Promise.all(pipelines.map((x) => x.exec()));
    } catch {
      // Redis away: put the counts back so the next flush carries them.
      for (const [f, n] of counts) this.add(f, n);
      this.latencySum += latencySum;
      for (const [a, c] of curves) for (const [s, n] of c) {
        const cur = this.curves.get(a) ?? new Map<number, number>();
        cur.set(s, (cur.get(s) ?? 0) + n);
        this.curves.set(a, cur);
      }
    }
  }

  /** Records how long an alert took from publish to 90% of its recipients sent (once per alert). */
  async observePublishToP90(seconds: number): Promise<void> {
    const key = this.deps.keys.metrics();
    await this.deps.redis
      .multi()
      .hincrby(key, `${METRIC_FIELDS.p90}:${bucketOf(P90_BUCKETS, seconds)}`, 1)
      .hincrby(key, `${METRIC_FIELDS.p90}:count`, 1)
      .hincrbyfloat(key, `${METRIC_FIELDS.p90}:sum`, seconds)
      .exec();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}

/** The delivery curve of an alert: [bucket start (ms since epoch), sent in that bucket], ascending. */
export async function readCurve(redis: Redis, keys: Keys, alertId: string): Promise<[number, number][]> {
  const h = await redis.hgetall(keys.alertCurve(alertId));
  return Object.entries(h)
    .map(([b, n]): [number, number] => [Number(b) * CURVE_BUCKET_MS, Number(n)])
    .sort((a, b) => a[0] - b[0]);
}

/** Seconds from `createdAtMs` to the end of the bucket in which cumulative sends reached 90% of `total`. */
export function secondsTo90(curve: [number, number][], total: number, createdAtMs: number): number | undefined {
  if (total <= 0) return undefined;
  const target = Math.ceil(total * 0.9);
  let sum = 0;
  for (const [startMs, n] of curve) {
    sum += n;
    if (sum >= target) return Math.max(0, (startMs + CURVE_BUCKET_MS - createdAtMs) / 1000);
  }
  return undefined;
}
