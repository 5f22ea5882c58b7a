import type { Logger } from '../logger';
import type { Queues } from '../queues';
import { fanoutJobId } from '../queues';
import type { AlertAction, AlertStore, ControlResult } from './alert-store';

export interface ControlAlertDeps {
  alerts: AlertStore;
  queues: Pick<Queues, 'fanout'>;
  logger: Logger;
}

/**
 * Pause, resume or cancel an alert (API, /admin and CLI alike). A cancel also drops a scheduled
 * alert's delayed fan-out job, so it does not sit in the queue until its time (and keep the queue
 * from draining). The record is the truth: the job does nothing when it fires on a cancelled
 * record, so a failed removal is a warning, never a failed cancel.
 */
export async function controlAlert(deps: ControlAlertDeps, id: string, action: AlertAction): Promise<ControlResult> {
  const result = await deps.alerts.control(id, action);
  if (action === 'cancel' && result.ok && result.changed) await dropDelayedFanout(deps, id);
  return result;
}

async function dropDelayedFanout(deps: ControlAlertDeps, id: string): Promise<void> {
  try {
    const job = await deps.queues.fanout.getJob(fanoutJobId(id));
    // Only a job still waiting for its time: a running fan-out sees the cancelled record and stops by itself.
    if (job && (await job.isDelayed())) await job.remove();
  } catch (err) {
    deps.logger.warn({ alertId: id, err }, 'alert cancelled, but its delayed fan-out job could not be removed; it will do nothing when it fires');
  }
}
