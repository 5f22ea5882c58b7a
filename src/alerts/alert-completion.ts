import type { Redis } from 'ioredis';
import type { Keys } from '../keys';
import type { Logger } from '../logger';
import type { AlertStore } from './alert-store';
import { readCurve, secondsTo90, type MetricsRecorder } from '../ops/metrics-recorder';
import type { WebhookEmitter } from '../ops/webhooks';

export interface CompletionDeps {
  redis: Redis;
  keys: Keys;
  alerts: AlertStore;
  recorder: MetricsRecorder;
  webhooks: WebhookEmitter;
  logger: Logger;
}

/**
 * Runs once per completed alert, whichever worker saw it complete: records publish-to-90% and
 * sends the alert.completed webhook. The alert record's claim makes "once" hold across processes.
 */
export function createCompletionHandler(deps: CompletionDeps) {
  return async function onCompleted(alertId: string): Promise<void> {
    if (!(await deps.alerts.claimCompletion(alertId))) return;
    await deps.recorder.flush();
    const status = await deps.alerts.status(alertId);
    if (!status) return;
    const curve = await readCurve(deps.redis, deps.keys, alertId);
    const p90 = secondsTo90(curve, status.sent, Date.parse(status.createdAt));
    if (p90 !== undefined) {
      await deps.alerts.setP90Seconds(alertId, p90);
      await deps.recorder.observePublishToP90(p90);
    }
    deps.logger.info({ alertId, sent: status.sent, failed: status.failed, p90Seconds: p90 }, 'alert completed');
    await deps.webhooks.emit('alert.completed', { alertId });
  };
}
