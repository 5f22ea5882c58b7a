import type { Logger } from '../logger';
import { maskEmail } from '../logger';
import type { Mailer } from '../mail/mailer';
import type { Links } from './links';
import type { SubscriberStore } from './subscriber-store';

export interface ConfirmationDeps {
  subscribers: SubscriberStore;
  mailer: Mailer;
  links: Links;
  logger: Logger;
}

/** Sends the double opt-in email for a pending subscriber; anything else has nothing to confirm. */
export async function sendConfirmation(deps: ConfirmationDeps, subscriberId: number): Promise<'sent' | 'not_pending'> {
  const subscriber = await deps.subscribers.get(subscriberId);
  if (!subscriber || subscriber.status !== 'pending') return 'not_pending';
  const template = await deps.mailer.prepareConfirmation(subscriber.locale);
  const raw = template.personalise({
    to: subscriber.email,
    slots: { CONFIRM_URL: deps.links.confirm(subscriber.id, subscriber.nonce) },
  });
  await deps.mailer.send(subscriber.email, raw);
  deps.logger.info({ subscriberId, to: maskEmail(subscriber.email) }, 'confirmation sent');
  return 'sent';
}
