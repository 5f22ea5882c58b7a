import type { Core } from '../../src/core';
import { deliverWebhook } from '../../src/ops/webhooks';
import { QUEUE_NAMES, type WebhookJob } from '../../src/queues';
import type { QueueProcessor } from './processor';

/**
 * POSTs one event; a non-2xx answer or a network error throws and the queue retries with its
 * backoff (about 3 hours in all). Without WEBHOOK_URL and WEBHOOK_SECRET there is no worker.
 */
export function webhookProcessor(core: Core): QueueProcessor<WebhookJob> | undefined {
  const { webhookUrl: url, webhookSecret: secret } = core.config;
  if (!url || !secret) return undefined;
  const delivery = { url, secret, alerts: core.alerts, subscribers: core.subscribers };
  return { queue: QUEUE_NAMES.webhooks, concurrency: 4, recover: true, process: async (job) => deliverWebhook(delivery, job.data) };
}
