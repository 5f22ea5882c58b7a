import type { Mailer } from './mailer';
import type { MessageCopy, MessageTemplate } from './message-template';
import type { SlotName } from './slots';
import { classifySendError, type SendFailure } from './transport';

export interface CopyRecipient {
  id: number;
  email: string;
}

export interface SendCopiesOptions<R extends CopyRecipient> {
  recipients: readonly R[];
  /** Messages in flight at once. */
  concurrency: number;
  mailer: Pick<Mailer, 'send'>;
  /** One reader's copy: the message built once (per alert, per digest locale), their slot values, its signed tag. */
  copyFor(r: R): { template: MessageTemplate; slots: Partial<Record<SlotName, string>>; tag: string };
  /** Asked before each copy; true ends the loop (a pause, a relay that keeps failing). */
  stop?(): boolean | Promise<boolean>;
  /** Awaited before each send (the global send rate). */
  beforeSend?(): Promise<void>;
  /** A copy delivered; a promise returned is awaited before the sender takes the next reader. */
  sent(r: R, latencyMs: number): void | Promise<void>;
  /** A copy not delivered, with whose fault it is (see classifySendError). */
  failed(r: R, failure: SendFailure, err: unknown): void | Promise<void>;
}

/**
 * The send loop of every list email (alerts, the daily digest): a pool of senders over the
 * recipients, each copy personalised from the one built message and every failure sorted by who
 * is at fault. Resolves with the error of a copy that could not be built, if one could not: the
 * template is broken, and the loop stops at the first.
 */
export async function sendCopies<R extends CopyRecipient>(o: SendCopiesOptions<R>): Promise<{ buildFailure?: unknown }> {
  let next = 0;
  let buildFailure: unknown;
  const sender = async () => {
    while (next < o.recipients.length) {
      if (o.stop && (await o.stop())) return;
      // Another sender may have taken the last recipient while this one awaited the check.
      if (buildFailure !== undefined || next >= o.recipients.length) return;
      const r = o.recipients[next++]!;
      if (o.beforeSend) await o.beforeSend();
      const { template, slots, tag } = o.copyFor(r);
      let raw: MessageCopy;
      try {
        raw = template.copy({ to: r.email, tag, slots });
      } catch (err) {
        buildFailure ??= err;
        return;
      }
      const started = performance.now();
      try {
        await o.mailer.send(r.email, raw, tag);
      } catch (err) {
        await o.failed(r, classifySendError(err), err);
        continue;
      }
      const recorded = o.sent(r, performance.now() - started);
      if (recorded) await recorded;
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, o.recipients.length) }, sender));
  return buildFailure === undefined ? {} : { buildFailure };
}
