import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import type { Keys } from '../keys';
import type { Queue } from 'bullmq';
import { METRIC_FIELDS, P90_BUCKETS, SEND_LATENCY_BUCKETS } from './metrics-recorder';

export interface MetricsDeps {
  redis: Redis;
  keys: Keys;
  /** Every queue whose depth is reported. */
  queues: Queue[];
  /** How many recent alerts "alerts by state" counts. */
  recentAlerts?: number;
  /** Times this process found Redis unreachable (RedisWatch.failovers). */
  redisFailovers?: () => number;
}

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children'] as const;

/**
 * GET /metrics for the API process. Numbers written by worker processes live in Redis (see
 * MetricsRecorder), so each scrape reads them there: the figures are the sum over all workers.
 */
export function createMetricsRegistry(deps: MetricsDeps): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kilat_api_' });
  const readHash = () => deps.redis.hgetall(deps.keys.metrics());

  const counter = (name: string, help: string, field: string) =>
    new Counter({
      name,
      help,
      registers: [registry],
      async collect() {
        const v = Number((await deps.redis.hget(deps.keys.metrics(), field)) ?? 0);
        this.reset();
        if (v > 0) this.inc(v);
      },
    });
  counter('kilat_emails_sent_total', 'Alert emails accepted by the mail server.', METRIC_FIELDS.sent);
  counter('kilat_emails_failed_total', 'Alert emails that failed for good (hard bounce or out of retries).', METRIC_FIELDS.failed);
  counter('kilat_emails_suppressed_total', 'Addresses suppressed after a permanent (5xx) refusal.', METRIC_FIELDS.suppressed);
  counter('kilat_bounce_reports_unmatched_total', 'Bounce and complaint reports (raw DSN/ARF) about no message Kilat sent their recipient: ignored.', METRIC_FIELDS.bouncesUnmatched);

  new Counter({
    name: 'kilat_alerts_self_paused_total',
    help: 'Alerts Kilat paused itself: cause relay (the relay, the sender or the configuration refused it), recipients (the circuit breaker), deferrals (the relay deferred most of a batch).',
    labelNames: ['cause'],
    registers: [registry],
    async collect() {
      const h = await readHash();
      this.reset();
      for (const cause of ['relay', 'recipients', 'deferrals']) this.inc({ cause }, Number(h[`${METRIC_FIELDS.selfPaused}:${cause}`] ?? 0));
    },
  });

  new Counter({
    name: 'kilat_redis_failovers_total',
    help: 'Times this API process found Redis unreachable (a failover, a restart, a lost Cluster master); each outage also logs one "waiting for Redis failover" warning and one line when Redis answers again.',
    registers: [registry],
    collect() {
      this.reset();
      const n = deps.redisFailovers?.() ?? 0;
      if (n > 0) this.inc(n);
    },
  });

  new Gauge({
    name: 'kilat_alerts',
    help: 'Alerts by state, among the most recent alerts.',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const ids = await deps.redis.lrange(deps.keys.recentAlerts(), 0, (deps.recentAlerts ?? 200) - 1);
      // One HGET each rather than a pipeline: every alert has its own hash tag (Cluster slots).
      const states = await Promise.all(ids.map((id) => deps.redis.hget(deps.keys.alert(id), 'state')));
      this.reset();
      for (const s of ['scheduled', 'queued', 'sending', 'paused', 'completed', 'failed', 'cancelled']) this.set({ state: s }, 0);
      for (const s of states) if (s) this.inc({ state: s });
    },
  });

  new Gauge({
    name: 'kilat_queue_jobs',
    help: 'BullMQ jobs per queue and state.',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const q of deps.queues) {
        const counts = await q.getJobCounts(...QUEUE_STATES);
        for (const s of QUEUE_STATES) this.set({ queue: q.name, state: s }, counts[s] ?? 0);
      }
    },
  });

  registry.registerMetric(
    histogramFromHash('kilat_send_latency_seconds', 'Time the mail server took to accept one alert email.', METRIC_FIELDS.latency, SEND_LATENCY_BUCKETS, readHash) as never,
  );
  registry.registerMetric(
    histogramFromHash('kilat_alert_publish_to_90pct_seconds', 'Time from publish until 90% of an alert\'s recipients were sent.', METRIC_FIELDS.p90, P90_BUCKETS, readHash) as never,
  );
  return registry;
}

/** A histogram whose buckets were counted by other processes and summed in a Redis hash. */
function histogramFromHash(name: string, help: string, field: string, buckets: readonly number[], read: () => Promise<Record<string, string>>) {
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    reset() {},
    async get() {
      const h = await read();
      let cumulative = 0;
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
      for (const le of [...buckets.map(String), '+Inf']) {
        cumulative += Number(h[`${field}:${le}`] ?? 0);
        values.push({ metricName: `${name}_bucket`, labels: { le }, value: cumulative });
      }
      values.push({ metricName: `${name}_sum`, labels: {}, value: Number(h[`${field}:sum`] ?? 0) });
      values.push({ metricName: `${name}_count`, labels: {}, value: Number(h[`${field}:count`] ?? 0) });
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
}
