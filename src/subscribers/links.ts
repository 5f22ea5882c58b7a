import type { MessageTags } from './message-tags';
import type { TokenSigner } from './tokens';

/** The signed links a subscriber gets in emails. */
export interface Links {
  confirm(subscriberId: number, nonce: string): string;
  unsubscribe(subscriberId: number): string;
  preferences(subscriberId: number): string;
  /** The signed tag of one copy (Message-ID and VERP envelope sender); `ref` names the message. */
  messageTag(subscriberId: number, ref: string): string;
}

export function createLinks(deps: { publicUrl: string; signer: TokenSigner; tags: MessageTags; confirmTokenTtlSeconds: number }): Links {
  const { publicUrl, signer } = deps;
  return {
    confirm: (subscriberId, nonce) =>
      `${publicUrl}/confirm?token=${signer.sign({
        purpose: 'confirm',
        subscriberId,
        nonce,
        expiresAt: Math.floor(Date.now() / 1000) + deps.confirmTokenTtlSeconds,
      })}`,
    unsubscribe: (subscriberId) => `${publicUrl}/unsubscribe?token=${signer.sign({ purpose: 'unsubscribe', subscriberId })}`,
    preferences: (subscriberId) => `${publicUrl}/preferences?token=${signer.sign({ purpose: 'preferences', subscriberId })}`,
    messageTag: (subscriberId, ref) => deps.tags.sign(subscriberId, ref),
  };
}
