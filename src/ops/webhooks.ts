import { createHmac, randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Logger } from '../logger';
import type { WebhookEvent, WebhookJob } from '../queues';
import type { AlertStore } from '../alerts/alert-store';
import type { SubscriberStore } from '../subscribers/subscriber-store';

export interface WebhookEmitter {
  emit(event: WebhookEvent, ids: { alertId?: string; subscriberId?: number }): Promise<void>;
}

/** No WEBHOOK_URL: events go nowhere. */
export const noWebhooks: WebhookEmitter = { emit: async () => undefined };

export interface WebhookEmitterDeps {
  queue: Queue<WebhookJob>;
  logger: Logger;
  /** WEBHOOK_RETRY_BASE_MS: the first retry delay, doubling per attempt. */
  retryBaseMs?: number;
}

export function createWebhookEmitter({ queue, logger, retryBaseMs = 5000 }: WebhookEmitterDeps): WebhookEmitter {
  return {
    async emit(event, ids) {
      const deliveryId = randomUUID();
      try {
        await queue.add(event, { event, ...ids, at: Date.now(), deliveryId }, { jobId: deliveryId, backoff: { type: 'exponential', delay: retryBaseMs } });
      } catch (err) {
        // A webhook must never break the action that caused it.
        logger.warn({ event, ...ids, err: (err as Error).message }, 'could not enqueue webhook');
      }
    },
  };
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: receivers recompute it and check t is recent. */
export function signWebhook(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

export interface WebhookDeliveryDeps {
  url: string;
  secret: string;
  alerts: AlertStore;
  subscribers: SubscriberStore;
  timeoutMs?: number;
}

/** Thrown for a non-2xx answer or a network error: BullMQ retries the job with backoff. */
export class WebhookDeliveryError extends Error {}

export async function deliverWebhook(deps: WebhookDeliveryDeps, job: WebhookJob): Promise<number> {
  let data: Record<string, unknown> = {};
  if (job.alertId) {
    const status = await deps.alerts.status(job.alertId);
    data = status ? { alert: status } : { alert: { id: job.alertId } };
  }
  if (job.subscriberId !== undefined) {
    const s = await deps.subscribers.get(job.subscriberId);
    data = { subscriber: s ? { id: s.id, email: s.email, locale: s.locale, topics: s.topics, status: s.status } : { id: job.subscriberId } };
  }
  const body = JSON.stringify({ id: job.deliveryId, event: job.event, createdAt: new Date(job.at).toISOString(), data });
  const signature = signWebhook(deps.secret, body, Math.floor(Date.now() / 1000));
  let res: Response;
  try {
    res = await fetch(deps.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'kilat-event': job.event, 'kilat-delivery': job.deliveryId, 'kilat-signature': signature },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
    });
  } catch (err) {
    throw new WebhookDeliveryError(`webhook ${job.event} not delivered: ${(err as Error).message}`);
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status >= 300) throw new WebhookDeliveryError(`webhook ${job.event} answered ${res.status}`);
  return res.status;
}
