import type { Core } from '../src/core';
import { enqueueFanout } from '../src/alerts/publish';
import type { BatchSender } from '../src/alerts/send-batch';
import { relayReason, type MailTransport } from '../src/mail/transport';

export interface StartUpDeps {
  core: Core;
  sender: BatchSender;
  transport: MailTransport;
}

/** What a worker process does once its workers run: pick up orphaned alerts, warm the template and the relay. */
export async function afterStart({ core, sender, transport }: StartUpDeps): Promise<void> {
  const { config, logger } = core;
  // An alert stored but never enqueued (the API died in between) is picked up here.
  for (const id of await core.alerts.recentIds(50)) {
    const alert = await core.alerts.get(id);
    if (alert?.state === 'queued') await enqueueFanout(core.queues, id);
    // A scheduled one gets its delayed job back (a no-op when it has one: the job id is fixed).
    else if (alert?.state === 'scheduled' && alert.publishAt !== undefined) await enqueueFanout(core.queues, id, Math.max(0, alert.publishAt - Date.now()));
  }

  await sender.warmUp().catch((err: Error) => logger.warn({ err: err.message }, 'warm-up render failed'));
  for (const warning of config.smtp?.warnings ?? []) logger.warn(warning);
  // The same check as `kilat smtp check`, in the background: one clear line when the relay is
  // unusable (alerts would pause with the same reason), then connections opened ahead of the first
  // alert. Connections the relay later closes for idleness are reopened on demand.
  if (transport.verify && config.smtp) {
    const relay = `${config.smtp.host}:${config.smtp.port}`;
    void transport.verify().then(
      (info) => {
        logger.info({ relay, tls: info.tls?.protocol ?? 'none', auth: info.authenticated?.method ?? 'none', maxSize: info.maxSize }, 'SMTP relay ready');
        return transport.warm?.();
      },
      (err: unknown) => logger.error({ relay, reason: relayReason(err) }, `SMTP relay unusable: ${relayReason(err)}`),
    );
  }
}
