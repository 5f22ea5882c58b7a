import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { freePort } from '../../src/dev/embedded-redis';
import { parseConfig, requireRedisUrl } from '../../src/config';
import { startWorkers } from '../../workers';
import { kilatCli } from '../helpers/cli';
import { bearer, postJson, startKilat, waitUntil } from '../helpers/kilat';
import { alertStatus, publish } from '../helpers/lifecycle';
import { runRelayRow, type RelayRow } from '../helpers/relay-conformance';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { startSmtpRelay, type RelayConfig, type RelayReply, type SmtpRelay } from '../helpers/smtp-relay';
import { createTestCa, type TestCa } from '../helpers/test-certs';

/**
 * The relay conformance table, part 1: relays that refuse at each stage of the conversation, the way
 * real providers word it. The bar: when the relay or Kilat's configuration is wrong, the alert stops
 * and says why, and no subscriber's status changes; only a refusal about an address suppresses it.
 */

// A private CA for the relays that log in over STARTTLS, made on first use.
let ca: TestCa | undefined;
const testCa = () => (ca ??= createTestCa());
afterAll(() => ca?.remove());
const tlsEnv = () => ({ SMTP_TLS_CA: testCa().caFile });

/** A relay on loopback with a policy; `relay.url()` as SMTP_URL unless the row says otherwise. */
function relayWith(config: RelayConfig | (() => RelayConfig), policy: (relay: SmtpRelay) => void, url?: (relay: SmtpRelay) => string) {
  const holder: { relay?: SmtpRelay } = {};
  return {
    holder,
    start: async () => {
      const relay = await startSmtpRelay(typeof config === 'function' ? config() : config);
      holder.relay = relay;
      policy(relay);
      return { url: url ? url(relay) : relay.url(), messages: relay.messages, stop: () => relay.stop() };
    },
  };
}

const allRecipients = (reply: (to: string) => RelayReply) => (relay: SmtpRelay) => {
  relay.policy.rcptTo = (to) => reply(to);
};

function row(r: Omit<RelayRow, 'start'> & { relay: ReturnType<typeof relayWith> }): RelayRow {
  return { ...r, start: r.relay.start };
}

const accounts = { users: { kilat: 'sandi-yang-benar' } };

const rows: RelayRow[] = (() => {
  const loginRelay = (): RelayConfig => ({ auth: { methods: ['PLAIN', 'LOGIN'], ...accounts, required: true }, cert: testCa().leaf('relay-ip', ['IP:127.0.0.1']) });
  const wrongPassword = relayWith(loginRelay, () => undefined, (r) => r.url({ user: 'kilat', pass: 'sandi-yang-salah' }));
  const authRequired = relayWith(loginRelay, () => undefined);
  const relayDenied = relayWith({}, allRecipients((to) => ({ code: 554, text: `5.7.1 <${to}>: Relay access denied` })));
  const notVerified = relayWith({}, (r) => {
    // Amazon SES's words, no enhanced code, after the whole message.
    r.policy.data = () => ({ code: 554, text: 'Message rejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: Kilat Berita <alerts@kilat.example>' });
  });
  const dmarc = relayWith({}, (r) => {
    r.policy.data = () => ({ code: 550, text: "5.7.26 Unauthenticated email from kilat.example is not accepted due to domain's DMARC policy. Please contact the administrator of kilat.example domain" });
  });
  const small = relayWith({ size: 4000 }, () => undefined);
  const unknownAll = relayWith({}, allRecipients((to) => ({ code: 550, text: `5.1.1 <${to}>: Recipient address rejected: User unknown in virtual mailbox table` })));
  const someUnknown = relayWith({}, allRecipients((to) => (/^pembaca(3|17|29)@/.test(to) ? { code: 550, text: `5.1.1 <${to}>: Recipient address rejected: User unknown in virtual mailbox table` } : undefined!)));
  const blocklisted = relayWith({}, allRecipients(() => ({ code: 550, text: '5.7.1 Service unavailable, Client host [127.0.0.1] blocked using Spamhaus. To request removal from this list see https://www.spamhaus.org/query/ip/127.0.0.1' })));
  // qmail says "not my rcpthosts" with a bare 553 and no enhanced code: by the code alone it reads as
  // "no such mailbox" for every reader. The circuit breaker is what saves the list.
  const bare553 = relayWith({}, allRecipients(() => ({ code: 553, text: "sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)" })));
  const full = relayWith({}, allRecipients((to) => (to.startsWith('pembaca5@') ? { code: 452, text: '4.2.2 The email account that you tried to reach is over quota.' } : undefined!)));
  const seen = new Set<string>();
  const greylist = relayWith({}, allRecipients((to) => {
    if (seen.has(to)) return undefined!;
    seen.add(to);
    return { code: 451, text: `4.7.1 <${to}>: Recipient address rejected: Greylisted, see https://postgrey.schweikert.ch/help/contoh.co.id.html` };
  }));
  const deferAll = relayWith({}, allRecipients(() => ({ code: 452, text: '4.3.1 Insufficient system storage' })));
  const senderRefused = relayWith({}, (r) => {
    r.policy.mailFrom = (from) => ({ code: 553, text: `5.7.1 <${from}>: Sender address rejected: not owned by user kilat` });
  });

  let unreachablePort = 0;
  let unreachable: SmtpRelay | undefined;
  const unreachableRelay = {
    start: async () => {
      unreachablePort = await freePort(); // nothing listens there yet
      return {
        url: `smtp://127.0.0.1:${unreachablePort}`,
        get messages() {
          return unreachable?.messages ?? [];
        },
        stop: async () => unreachable?.stop(),
      };
    },
  };

  return [
    row({
      behaviour: 'wrong password (535 5.7.8)',
      relay: wrongPassword,
      first: { state: 'paused', reason: /^the relay refused the login: 535 5\.7\.8 Username and Password not accepted$/ },
      delivered: 'none',
      check: () => {
        const logins = wrongPassword.holder.relay!.logins;
        // Providers lock accounts for repeated bad logins: a handful, not one per recipient.
        expect(logins.length).toBeGreaterThan(0);
        expect(logins.length).toBeLessThanOrEqual(4);
        expect(logins.every((l) => !l.ok && l.user === 'kilat')).toBe(true);
      },
      env: tlsEnv,
      fix: { env: (url) => ({ SMTP_URL: url.replace('sandi-yang-salah', accounts.users.kilat) }) },
    }),
    row({
      behaviour: 'AUTH required, no credentials given (530 5.7.0)',
      relay: authRequired,
      first: { state: 'paused', reason: /^the relay requires a login: 530 5\.7\.0 Authentication required \(put the user name and password in SMTP_URL\)$/ },
      delivered: 'none',
      env: tlsEnv,
      fix: { env: (url) => ({ SMTP_URL: url.replace('smtp://', `smtp://kilat:${accounts.users.kilat}@`) }) },
    }),
    row({
      behaviour: 'relay access denied at RCPT (554 5.7.1)',
      relay: relayDenied,
      first: { state: 'paused', reason: /^the relay refused the recipients: 554 5\.7\.1 <p\*\*\*\d@c\*\*\*\.co\.id>: Relay access denied$/ },
      delivered: 'none',
      fix: { relay: () => void (relayDenied.holder.relay!.policy.rcptTo = undefined) },
    }),
    row({
      behaviour: 'sender not verified, after DATA (SES 554)',
      relay: notVerified,
      first: { state: 'paused', reason: /^the relay refused the message after receiving it: 554 Message rejected: Email address is not verified\. .*Kilat Berita <a\*\*\*s@k\*\*\*\.example>$/ },
      delivered: 'none',
      fix: { relay: () => void (notVerified.holder.relay!.policy.data = undefined) },
    }),
    row({
      behaviour: 'DMARC rejection after DATA (Gmail 550 5.7.26)',
      relay: dmarc,
      first: { state: 'paused', reason: /^the relay refused the message after receiving it: 550 5\.7\.26 Unauthenticated email from kilat\.example/ },
      delivered: 'none',
      fix: { relay: () => void (dmarc.holder.relay!.policy.data = undefined) },
    }),
    row({
      behaviour: 'SIZE limit smaller than the alert',
      relay: small,
      first: { state: 'paused', reason: /^the relay's size limit is 4,000 bytes and this message is \d{1,3}(,\d{3})+ bytes$/ },
      delivered: 'none',
      check: () => {
        // Checked against the declared limit before any upload: the relay never saw a recipient.
        expect(small.holder.relay!.rcptCount).toBe(0);
      },
      fix: { relay: () => void (small.holder.relay!.options.size = 10 * 1024 * 1024) },
    }),
    row({
      behaviour: '5.1.1 for every recipient (circuit breaker)',
      relay: unknownAll,
      subscribers: 60,
      first: { state: 'paused', reason: /^the relay refused 2\d recipients as unknown or disabled addresses with hardly a delivery between them \(last: 550 5\.1\.1 <p\*\*\*\d@c\*\*\*\.co\.id>: Recipient address rejected: User unknown in virtual mailbox table\); .*nobody was suppressed for it$/ },
      delivered: 'none',
      check: ({ status }) => {
        // The burst was undone: nobody counts as failed, and the relay was asked about a few dozen at most.
        expect(status.failed).toBe(0);
        expect(unknownAll.holder.relay!.rcptCount).toBeLessThanOrEqual(40);
      },
      fix: { relay: () => void (unknownAll.holder.relay!.policy.rcptTo = undefined) },
    }),
    row({
      behaviour: 'three genuinely unknown addresses (5.1.1)',
      relay: someUnknown,
      first: { state: 'completed' },
      delivered: (emails) => emails.filter((e) => !/^pembaca(3|17|29)@/.test(e)),
      suppressed: (emails) => emails.filter((e) => /^pembaca(3|17|29)@/.test(e)),
      check: ({ status }) => expect(status).toMatchObject({ sent: 27, failed: 3 }),
    }),
    row({
      behaviour: 'blocklisted sending IP, 550 5.7.1 to everyone',
      relay: blocklisted,
      first: { state: 'paused', reason: /^the relay refused the recipients: 550 5\.7\.1 Service unavailable, Client host \[127\.0\.0\.1\] blocked using Spamhaus/ },
      delivered: 'none',
      fix: { relay: () => void (blocklisted.holder.relay!.policy.rcptTo = undefined) },
    }),
    row({
      behaviour: 'bare 553 (no enhanced code) to everyone (circuit breaker)',
      relay: bare553,
      subscribers: 60,
      first: { state: 'paused', reason: /^the relay refused 2\d recipients as unknown or disabled addresses .*\(last: 553 sorry, that domain isn't in my list of allowed rcpthosts \(#5\.7\.1\)\)/ },
      delivered: 'none',
      check: ({ status }) => expect(status.failed).toBe(0),
      fix: { relay: () => void (bare553.holder.relay!.policy.rcptTo = undefined) },
    }),
    row({
      behaviour: 'mailbox full for one reader (452 4.2.2)',
      relay: full,
      first: { state: 'completed' },
      delivered: (emails) => emails.filter((e) => !e.startsWith('pembaca5@')),
      check: async ({ k, status }) => {
        expect(status).toMatchObject({ sent: 29, failed: 1 });
        // Retried through every attempt, yet one soft bounce for the alert; not suppressed.
        const sub = (await k.api.core.subscribers.findByEmail('pembaca5@contoh.co.id'))!;
        expect(await k.api.core.subscribers.softBounceCount(sub.id)).toBe(1);
        expect(sub.status).toBe('confirmed');
        full.holder.relay!.policy.rcptTo = undefined; // the reader empties the mailbox
      },
      // The first alert stays failed for that reader; the second reaches everyone.
      suppressed: () => [],
    }),
    row({
      behaviour: 'greylisting (451 4.7.1 on the first try)',
      relay: greylist,
      first: { state: 'completed' },
      delivered: 'all',
      check: async ({ k, emails }) => {
        const jobs = await k.api.core.queues.send.getJobs(['completed']);
        expect(Math.max(...jobs.map((j) => j.attemptsMade))).toBe(2);
        // The relay's replies named each reader; what BullMQ stored about the failed attempts does not.
        let stored = '';
        for (const key of await k.redis.client.keys('kilat:{q}:*')) if ((await k.redis.client.type(key)) === 'hash') stored += JSON.stringify(await k.redis.client.hgetall(key));
        expect(stored).toContain('Greylisted');
        expect(stored).not.toMatch(/pembaca\d+@contoh\.co\.id/);
        for (const e of emails) expect(await k.api.core.subscribers.softBounceCount((await k.api.core.subscribers.findByEmail(e))!.id)).toBe(0);
      },
    }),
    row({
      behaviour: 'relay defers every recipient (452 4.3.1)',
      relay: deferAll,
      first: { state: 'paused', reason: /^the relay deferred \d+ recipients through all 8 attempts and delivered 0 \(last: 452 4\.3\.1 Insufficient system storage\); that is the relay, not their mailboxes, so nobody got a soft bounce$/ },
      delivered: 'none',
      check: async ({ k, emails }) => {
        for (const e of emails) expect(await k.api.core.subscribers.softBounceCount((await k.api.core.subscribers.findByEmail(e))!.id)).toBe(0);
      },
      fix: { relay: () => void (deferAll.holder.relay!.policy.rcptTo = undefined) },
    }),
    row({
      behaviour: 'MAIL FROM refused (553 5.7.1)',
      relay: senderRefused,
      first: { state: 'paused', reason: /^the relay refused the sender: 553 5\.7\.1 <a\*\*\*s@k\*\*\*\.example>: Sender address rejected: not owned by user kilat \(check MAIL_FROM/ },
      delivered: 'none',
      fix: { relay: () => void (senderRefused.holder.relay!.policy.mailFrom = undefined) },
    }),
    {
      behaviour: 'relay unreachable (connection refused)',
      start: unreachableRelay.start,
      first: { state: 'paused', reason: /^cannot connect to the relay 127\.0\.0\.1:\d+: connect ECONNREFUSED 127\.0\.0\.1:\d+$/ },
      delivered: 'none',
      fix: {
        relay: async () => {
          unreachable = await startSmtpRelay({}, { port: unreachablePort });
        },
      },
    },
  ];
})();

describe('relay conformance: refusals', () => {
  test.each(rows.map((r) => [r.behaviour, r] as const))('%s', (_name, r) => runRelayRow(r));
});

describe('what an operator sees when Kilat pauses an alert', () => {
  test('reason in the API, /admin, `kilat alerts status`, one log line, the Prometheus counter and an alert.paused webhook', async () => {
    const hooks: { event: string; data: any }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hooks.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const relay = await startSmtpRelay({ auth: { methods: ['PLAIN'], ...accounts, required: true }, tls: 'none' });
    const k = await startKilat({
      env: {
        SMTP_URL: relay.url({ user: 'kilat', pass: 'salah' }),
        SMTP_TLS: 'none',
        WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
        WEBHOOK_SECRET: 'webhook-secret-0123456789',
        WEBHOOK_RETRY_BASE_MS: '100',
        SEND_RETRY_BASE_MS: '50',
      },
      workers: false,
    });
    // The worker's log, as an operator's log collector would get it.
    const lines: any[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        cb();
      },
    });
    k.workers = await startWorkers(k.config, pino({ level: 'info' }, sink));
    try {
      const emails = await seedConfirmed(k.api.core.subscribers, 40, { domain: 'contoh.co.id', prefix: 'pembaca' });
      const id = await publish(k, { title: 'Sandi salah' });
      const status = await waitUntil(async () => {
        const s = await alertStatus(k, id);
        return s.state === 'paused' ? s : undefined;
      }, 20_000, 'paused');
      const reason = 'the relay refused the login: 535 5.7.8 Username and Password not accepted';
      expect(status).toMatchObject({ state: 'paused', pausedBy: 'kilat', reason, sent: 0, failed: 0 });

      const page = await (await fetch(`${k.baseUrl}/admin/alerts/${id}`, { headers: bearer })).text();
      expect(page).toContain('paused by Kilat');
      expect(page).toContain(reason);
      expect(page).toContain('Nothing was counted against any subscriber. Fix it, then resume.');

      const cli = await kilatCli(k.env, 'alerts', 'status', id);
      expect(cli.code).toBe(1);
      expect(cli.stdout).toContain(`alert ${id} paused: 0 sent, 0 failed, 0 skipped of 40`);
      expect(cli.stdout).toContain(`reason: paused by Kilat: ${reason}`);
      expect(cli.stdout).toContain(`kilat alerts resume ${id}`);

      await waitUntil(async () => hooks.some((h) => h.event === 'alert.paused'), 15_000, 'alert.paused webhook');
      const hook = hooks.find((h) => h.event === 'alert.paused')!;
      expect(hook.data.alert).toMatchObject({ id, state: 'paused', pausedBy: 'kilat', reason });

      const metrics = await (await fetch(`${k.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/^kilat_alerts_self_paused_total\{cause="relay"\} 1$/m);
      expect(metrics).toMatch(/^kilat_emails_suppressed_total 0$/m);

      // One error line for the alert, not one per recipient; the start-up check said it first.
      const errors = lines.filter((l) => l.level >= 50);
      expect(errors.filter((l) => l.alertId === id).map((l) => l.msg)).toEqual([`alert paused: ${reason}`]);
      expect(errors.filter((l) => l.alertId === undefined).map((l) => l.msg)).toEqual([`SMTP relay unusable: ${reason}`]);
      expect(JSON.stringify(lines)).not.toMatch(/pembaca\d+@contoh\.co\.id/);

      // The operator fixes SMTP_URL, restarts the workers and resumes: everyone once.
      await k.workers.close();
      k.config = requireRedisUrl(parseConfig({ ...k.env, SMTP_URL: relay.url({ user: 'kilat', pass: accounts.users.kilat }) }));
      k.workers = await startWorkers(k.config, pino({ level: 'silent' }));
      const resumed = await kilatCli(k.env, 'alerts', 'resume', id);
      expect(resumed.stdout).toContain(`alert ${id} resumed: now sending`);
      await waitUntil(async () => (await alertStatus(k, id)).state === 'completed', 20_000, 'completed after the fix');
      expect(relay.messages.flatMap((m) => m.to).sort()).toEqual([...emails].sort());
      expect((await alertStatus(k, id)).reason).toBeUndefined();
    } finally {
      await k.stop();
      await relay.stop();
      receiver.closeAllConnections();
      receiver.close();
    }
  });

  test('resume while the relay is still broken pauses again with the same reason, still nobody charged', async () => {
    const relay = await startSmtpRelay({});
    relay.policy.rcptTo = (to) => ({ code: 554, text: `5.7.1 <${to}>: Relay access denied` });
    const k = await startKilat({ env: { SMTP_URL: relay.url(), SEND_RETRY_BASE_MS: '50' } });
    try {
      await seedConfirmed(k.api.core.subscribers, 10, { domain: 'contoh.co.id', prefix: 'pembaca' });
      const id = await publish(k, { title: 'Masih rusak' });
      await waitUntil(async () => (await alertStatus(k, id)).state === 'paused', 20_000, 'paused');
      const asked = relay.rcptCount;
      expect((await postJson(`${k.baseUrl}/api/alerts/${id}/resume`, '', bearer)).status).toBe(200);
      await waitUntil(async () => relay.rcptCount > asked && (await alertStatus(k, id)).state === 'paused', 20_000, 'paused again');
      expect(await alertStatus(k, id)).toMatchObject({ state: 'paused', pausedBy: 'kilat', failed: 0, reason: expect.stringMatching(/Relay access denied$/) });
      const metrics = await (await fetch(`${k.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/^kilat_alerts_self_paused_total\{cause="relay"\} 2$/m);
    } finally {
      await k.stop();
      await relay.stop();
    }
  });
});
