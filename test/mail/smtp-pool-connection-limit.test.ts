import { createSmtpPool } from '../../src/mail/smtp-pool';
import { startSmtpRelay } from '../helpers/smtp-relay';
import { smtpOptions } from '../helpers/smtp-options';

const message = (to: string) => `From: alerts@kilat.example\r\nTo: ${to}\r\nSubject: Gempa\r\n\r\nBerita kilat.\r\n`;

/** Settles with 'stuck' if `p` has not settled within `ms`: a deadlock shows as a failed expectation, not a hung suite. */
const within = <T>(p: Promise<T>, ms: number): Promise<T | 'stuck'> =>
  Promise.race([p, new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), ms).unref())]);

describe('a relay that takes fewer connections than the pool size', () => {
  // CI caught the alert of relay-protocols' "421 at the greeting" row standing still: warming the pool
  // held the connections the relay did take while it waited for ones the relay would never take, and
  // every send waited behind it.
  test('warming the pool and sending beside it both finish, over the connections the relay accepts', async () => {
    const relay = await startSmtpRelay({ maxClients: 2 });
    const pool = createSmtpPool({ connection: smtpOptions(relay.url()), size: 8 });
    try {
      const warmed = pool.warm(8);
      const sends = Array.from({ length: 20 }, (_, i) => pool.send('alerts@kilat.example', `pembaca${i}@contoh.co.id`, message(`pembaca${i}@contoh.co.id`)));
      expect(await within(warmed, 10_000)).not.toBe('stuck');
      expect(await within(Promise.all(sends), 10_000)).not.toBe('stuck');
      expect(relay.messages.flatMap((m) => m.to).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `pembaca${i}@contoh.co.id`).sort());
      expect(relay.refusedConnections).toBeGreaterThan(0);
    } finally {
      await pool.close();
      await relay.stop();
    }
  });

  test('warming alone finishes and leaves the accepted connections to the next sends', async () => {
    const relay = await startSmtpRelay({ maxClients: 2 });
    const pool = createSmtpPool({ connection: smtpOptions(relay.url()), size: 8 });
    try {
      expect(await within(pool.warm(8), 10_000)).not.toBe('stuck');
      const sends = Array.from({ length: 6 }, (_, i) => pool.send('alerts@kilat.example', `warga${i}@contoh.co.id`, message(`warga${i}@contoh.co.id`)));
      expect(await within(Promise.all(sends), 10_000)).not.toBe('stuck');
      expect(relay.messages).toHaveLength(6);
    } finally {
      await pool.close();
      await relay.stop();
    }
  });
});
