import type { AlertSlots, ConfirmSlots, ListSlots, SlotName } from '../mail/slots';
import type { MessageTags } from './message-tags';
import type { TokenSigner } from './tokens';

/**
 * How long a tracked "Read more" link redirects (and counts): long past the days an alert is read,
 * short enough that a link lifted from an old email stops being a way to add clicks. After it, the
 * reader gets a page with the article's link instead of a redirect (see routes/click-redirect.ts).
 */
export const CLICK_LINK_TTL_SECONDS = 90 * 86400;

/** The signed links a subscriber gets in emails: the one place that says how they are made. */
export interface Links {
  confirm(subscriberId: number, nonce: string): string;
  /** `alertId`: the alert whose copy carries the link, so an unsubscribe counts toward that alert. */
  unsubscribe(subscriberId: number, alertId?: string): string;
  preferences(subscriberId: number, alertId?: string): string;
  /** The reader's tracked "Read more" link of one alert: /r/<token>, redirecting to that alert's article. */
  click(subscriberId: number, alertId: string): string;
  /** A reader's values for a digest copy (its unsubscribe and preferences links). */
  listSlots(subscriberId: number): ListSlots;
  /** A reader's values for an alert copy: the list links naming the alert, and the click link when tracking is on. */
  alertSlots(subscriberId: number, alertId: string): AlertSlots;
  /** A reader's value for a confirmation copy. */
  confirmSlots(subscriberId: number, nonce: string): ConfirmSlots;
  /** The signed tag of one copy (Message-ID and VERP envelope sender); `ref` names the message. */
  messageTag(subscriberId: number, ref: string): string;
}

const link = (publicUrl: string, page: 'confirm' | 'unsubscribe' | 'preferences', token: string) => `${publicUrl}/${page}?token=${token}`;

export function createLinks(deps: { publicUrl: string; signer: TokenSigner; tags: MessageTags; confirmTokenTtlSeconds: number; clickTracking?: boolean }): Links {
  const { publicUrl, signer } = deps;
  const confirm = (subscriberId: number, nonce: string) =>
    link(publicUrl, 'confirm', signer.sign({ purpose: 'confirm', subscriberId, nonce, expiresAt: Math.floor(Date.now() / 1000) + deps.confirmTokenTtlSeconds }));
  const unsubscribe = (subscriberId: number, alertId?: string) => link(publicUrl, 'unsubscribe', signer.sign({ purpose: 'unsubscribe', subscriberId, alertId }));
  const preferences = (subscriberId: number, alertId?: string) => link(publicUrl, 'preferences', signer.sign({ purpose: 'preferences', subscriberId, alertId }));
  const click = (subscriberId: number, alertId: string) =>
    `${publicUrl}/r/${signer.sign({ purpose: 'click', subscriberId, alertId, expiresAt: Math.floor(Date.now() / 1000) + CLICK_LINK_TTL_SECONDS })}`;
  return {
    confirm,
    unsubscribe,
    preferences,
    click,
    listSlots: (subscriberId) => ({ UNSUBSCRIBE_URL: unsubscribe(subscriberId), PREFERENCES_URL: preferences(subscriberId) }),
    alertSlots: (subscriberId, alertId) => ({
      UNSUBSCRIBE_URL: unsubscribe(subscriberId, alertId),
      PREFERENCES_URL: preferences(subscriberId, alertId),
      // Signed only when the template places it: an HMAC per recipient is cheap, not free.
      ...(deps.clickTracking ? { READ_MORE_URL: click(subscriberId, alertId) } : {}),
    }),
    confirmSlots: (subscriberId, nonce) => ({ CONFIRM_URL: confirm(subscriberId, nonce) }),
    messageTag: (subscriberId, ref) => deps.tags.sign(subscriberId, ref),
  };
}

/**
 * Example values for every slot, so a preview's links look like the real ones (and open the real
 * pages). `articleUrl`: a preview or test copy's "Read more" goes straight to the article (nobody to count).
 */
export function previewSlots(publicUrl: string, articleUrl = ''): Record<SlotName, string> {
  return {
    UNSUBSCRIBE_URL: link(publicUrl, 'unsubscribe', 'preview'),
    PREFERENCES_URL: link(publicUrl, 'preferences', 'preview'),
    CONFIRM_URL: link(publicUrl, 'confirm', 'preview'),
    READ_MORE_URL: articleUrl,
    IN_REPLY_TO: '<preview@kilat.invalid>',
    REFERENCES: '<preview@kilat.invalid>',
  };
}
