import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createBatchSender } from '../../src/alerts/send-batch';
import { loadCatalog } from '../../src/i18n';
import { createMailer } from '../../src/mail/mailer';
import { createRenderer } from '../../src/mail/render';
import { createSmtpTransport } from '../../src/mail/transport';
import { templatesDir } from '../../src/paths';
import { kilatCli } from '../helpers/cli';
import { bearer, startKilat } from '../helpers/kilat';
import { alertStatus, publish } from '../helpers/lifecycle';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { smtpOptions } from '../helpers/smtp-options';

describe('an alert that cannot be rendered', () => {
  test('fails at once with the reason (API, /admin, kilat alerts status); it never sits in sending retrying', async () => {
    // A real renderer over a copy of the templates in which someone broke the alert's MJML.
    const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-templates-'));
    fs.cpSync(templatesDir, broken, { recursive: true });
    const mjml = path.join(broken, 'breaking-news.mjml');
    fs.writeFileSync(mjml, fs.readFileSync(mjml, 'utf8').replace('<mj-column>', '<mj-column><mj-tidak-ada>?</mj-tidak-ada>'));
    const k = await startKilat({ workers: false });
    const transport = createSmtpTransport({ connection: smtpOptions(k.smtp.url), poolSize: 2 });
    try {
      const renderer = createRenderer({ catalog: loadCatalog(), templatesDir: broken, siteName: 'Kilat', excerptParagraphs: 3, timeZone: 'Asia/Jakarta', confirmTokenTtlHours: 48 });
      const sender = createBatchSender({
        alerts: k.api.core.alerts,
        subscribers: k.api.core.subscribers,
        mailer: createMailer({ renderer, transport, mailFrom: k.config.mailFrom }),
        links: k.api.core.links,
        sendConcurrency: 4,
        logger: pino({ level: 'silent' }),
      });
      await seedConfirmed(k.api.core.subscribers, 3, { domain: 'contoh.co.id', prefix: 'pembaca' });
      const id = await publish(k, { title: 'Tidak bisa dirender' });
      await k.api.core.alerts.markSending(id);
      const ids = await k.api.core.subscribers.activeIds(0, 'id', 0, '+inf', 100);
      const shard = ids.length > 0 ? 0 : (await Promise.all(Array.from({ length: 16 }, (_, s) => k.api.core.subscribers.activeIds(s, 'id', 0, '+inf', 100)))).findIndex((x) => x.length > 0);
      const inShard = await k.api.core.subscribers.activeIds(shard, 'id', 0, '+inf', 100);
      const batch = { shard, after: 0, upTo: inShard[inShard.length - 1]!, count: inShard.length };

      // The first attempt ends the alert: no exception for the queue to retry.
      const result = await sender.send(id, batch, { attempt: 1, maxAttempts: 8 });
      expect(result).toMatchObject({ state: 'failed', sent: 0 });
      const status = await alertStatus(k, id);
      expect(status).toMatchObject({ state: 'failed', sent: 0, failed: 0 });
      expect(status.reason).toMatch(/^the alert cannot be rendered: breaking-news\.mjml: .*mj-tidak-ada/);
      expect(status.failedAt).toEqual(expect.any(String));
      // Later batches of it send nothing either.
      expect(await sender.send(id, batch, { attempt: 1, maxAttempts: 8 })).toMatchObject({ state: 'failed', sent: 0 });
      expect(k.smtp.messages).toHaveLength(0);

      const page = await (await fetch(`${k.baseUrl}/admin/alerts/${id}`, { headers: bearer })).text();
      expect(page).toContain('the alert cannot be rendered: breaking-news.mjml');
      const cli = await kilatCli(k.env, 'alerts', 'status', id);
      expect(cli.code).toBe(1);
      expect(cli.stdout).toMatch(/reason: failed: the alert cannot be rendered: breaking-news\.mjml/);
    } finally {
      await transport.close();
      await k.stop();
      fs.rmSync(broken, { recursive: true, force: true });
    }
  });
});
