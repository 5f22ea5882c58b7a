import { freePort } from '../../src/dev/embedded-redis';
import { createSmtpPool } from '../../src/mail/smtp-pool';
import { startSmtpCapture } from '../helpers/smtp-capture';
import { smtpOptions } from '../helpers/smtp-options';

describe('SMTP pool when the server is unreachable', () => {
  test('every queued send fails promptly (none waits forever), and the pool works once the server is back', async () => {
    const port = await freePort(); // nothing listens here yet
    const pool = createSmtpPool({ connection: smtpOptions(`smtp://127.0.0.1:${port}`, { SMTP_TIMEOUT_MS: '2000' }), size: 2 });
    const started = Date.now();
    // more sends than connections: the later ones queue behind the failing connection attempts
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => pool.send('alerts@kilat.example', `r${i}@contoh.co.id`, 'Subject: x\r\n\r\nhi\r\n')));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill('rejected'));
    expect(Date.now() - started).toBeLessThan(5000);

    const smtp = await startSmtpCapture({ port, closeTimeoutMs: 200 });
    try {
      await Promise.all(Array.from({ length: 6 }, (_, i) => pool.send('alerts@kilat.example', `r${i}@contoh.co.id`, 'Subject: x\r\n\r\nhi\r\n')));
      expect(smtp.messages).toHaveLength(6);
    } finally {
      await pool.close();
      await smtp.stop();
    }
  });
});
