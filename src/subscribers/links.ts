import type { ConfirmSlots, ListSlots, SlotName } from '../mail/slots';
import type { MessageTags } from './message-tags';
import type { TokenSigner } from './tokens';

/** The signed links a subscriber gets in emails: the one place that says how they are made. */
export interface Links {
  confirm(subscriberId: number, nonce: string): string;
  unsubscribe(subscriberId: number): string;
  preferences(subscriberId: number): string;
  /** A reader's values for an alert or digest copy (its unsubscribe and preferences links). */
  listSlots(subscriberId: number): ListSlots;
  /** A reader's value for a confirmation copy. */
  confirmSlots(subscriberId: number, nonce: string): ConfirmSlots;
  /** The signed tag of one copy (Message-ID and VERP envelope sender); `ref` names the message. */
  messageTag(subscriberId: number, ref: string): string;
}

const link = (publicUrl: string, page: 'confirm' | 'unsubscribe' | 'preferences', token: string) => `${publicUrl}/${page}?token=${token}`;

export function createLinks(deps: { publicUrl: string; signer: TokenSigner; tags: MessageTags; confirmTokenTtlSeconds: number }): Links {
  const { publicUrl, signer } = deps;
  const confirm = (subscriberId: number, nonce: string) =>
    link(publicUrl, 'confirm', signer.sign({ purpose: 'confirm', subscriberId, nonce, expiresAt: Math.floor(Date.now() / 1000) + deps.confirmTokenTtlSeconds }));
  const unsubscribe = (subscriberId: number) => link(publicUrl, 'unsubscribe', signer.sign({ purpose: 'unsubscribe', subscriberId }));
  const preferences = (subscriberId: number) => link(publicUrl, 'preferences', signer.sign({ purpose: 'preferences', subscriberId }));
  return {
    confirm,
    unsubscribe,
    preferences,
    listSlots: (subscriberId) => ({ UNSUBSCRIBE_URL: unsubscribe(subscriberId), PREFERENCES_URL: preferences(subscriberId) }),
    confirmSlots: (subscriberId, nonce) => ({ CONFIRM_URL: confirm(subscriberId, nonce) }),
    messageTag: (subscriberId, ref) => deps.tags.sign(subscriberId, ref),
  };
}

/** Example values for every slot, so a preview's links look like the real ones (and open the real pages). */
export function previewSlots(publicUrl: string): Record<SlotName, string> {
  return {
    UNSUBSCRIBE_URL: link(publicUrl, 'unsubscribe', 'preview'),
    PREFERENCES_URL: link(publicUrl, 'preferences', 'preview'),
    CONFIRM_URL: link(publicUrl, 'confirm', 'preview'),
    IN_REPLY_TO: '<preview@kilat.invalid>',
    REFERENCES: '<preview@kilat.invalid>',
  };
}
