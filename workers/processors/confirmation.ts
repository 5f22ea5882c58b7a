import { UnrecoverableError } from 'bullmq';
import type { Core } from '../../src/core';
import type { Mailer } from '../../src/mail/mailer';
import { TemplateError } from '../../src/mail/render';
import { classifySendError } from '../../src/mail/transport';
import { QUEUE_NAMES, type ConfirmationJob } from '../../src/queues';
import { sendConfirmation } from '../../src/subscribers/send-confirmation';
import type { QueueProcessor } from './processor';

export interface ConfirmationProcessorDeps {
  core: Core;
  mailer: Mailer;
}

/** Sends a double opt-in email; its own queue, so it never waits behind a big alert's batches. */
export function confirmationProcessor({ core, mailer }: ConfirmationProcessorDeps): QueueProcessor<ConfirmationJob> {
  return {
    queue: QUEUE_NAMES.confirmations,
    concurrency: 8,
    recover: true,
    async process(job) {
      try {
        return await sendConfirmation({ subscribers: core.subscribers, mailer, links: core.links, logger: core.logger }, job.data.subscriberId);
      } catch (err) {
        if (err instanceof TemplateError) throw new UnrecoverableError(err.message);
        // An address the relay calls unknown will not become known by retrying; anything else (the
        // relay, a mailbox for now) is retried with backoff, and never changes the subscriber.
        if (classifySendError(err).kind === 'recipient') throw new UnrecoverableError((err as Error).message);
        throw err;
      }
    },
  };
}
