import type { Locale } from '../../src/config';
import type { SubscriberStore } from '../../src/subscribers/subscriber-store';

/**
 * Signs up and confirms `count` subscribers through the store's own scripts (the same code path as
 * the API, without an email round trip each), in chunks so the commands pipeline. Returns addresses.
 */
export async function seedConfirmed(
  subscribers: SubscriberStore,
  count: number,
  opts: { locale?: Locale; domain?: string; prefix?: string; topics?: string[] } = {},
): Promise<string[]> {
  const locale = opts.locale ?? 'id';
  const emails = Array.from({ length: count }, (_, i) => `${opts.prefix ?? 'reader'}${i}@${opts.domain ?? 'seed.example'}`);
  const CHUNK = 1000;
  for (let i = 0; i < emails.length; i += CHUNK) {
    await Promise.all(
      emails.slice(i, i + CHUNK).map(async (email) => {
        const { id } = await subscribers.signup({ email, locale, topics: opts.topics ?? [] });
        const sub = await subscribers.get(id);
        await subscribers.confirm(id, sub!.nonce);
      }),
    );
  }
  return emails;
}
