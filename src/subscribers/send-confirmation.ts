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

/**
 * Sends the double opt-in email: for a pending subscriber, or for the newer choices a sign-up left
 * waiting beside an existing subscription (the latest sign-up's link, in its language). Anyone else
 * (a complained address, a record since deleted) has nothing to confirm and gets nothing.
 */
export async function sendConfirmation(deps: ConfirmationDeps, subscriberId: number): Promise<'sent' | 'not_pending'> {
  const subscriber = await deps.subscribers.get(subscriberId);
  if (!subscriber || !['pending', 'confirmed', 'paused'].includes(subscriber.status)) return 'not_pending';
  const change = await deps.subscribers.pendingChange(subscriber.id);
  if (!change && subscriber.status !== 'pending') return 'not_pending';
  const template = await deps.mailer.prepareConfirmation(change?.locale ?? subscriber.locale);
  // Each confirmation email its own tag (and so Message-ID): receivers drop a second message with a
  // Message-ID they have seen, and a repeated sign-up must reach the inbox.
  const tag = deps.links.messageTag(subscriber.id, `c${Date.now().toString(36)}`);
  const raw = template.personalise({
    to: subscriber.email,
    tag,
    slots: deps.links.confirmSlots(subscriber.id, change?.nonce ?? subscriber.nonce),
  });
  await deps.mailer.send(subscriber.email, raw, tag);
  deps.logger.info({ subscriberId, to: maskEmail(subscriber.email) }, 'confirmation sent');
  return 'sent';
}
