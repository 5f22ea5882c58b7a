import net from 'node:net';
import { bearer, postJson, startKilat, waitUntil } from '../helpers/kilat';
import { alertStatus, publish } from '../helpers/lifecycle';
import { runRelayRow, type RelayRow } from '../helpers/relay-conformance';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { startSmtpRelay, type RelayConfig, type SmtpRelay } from '../helpers/smtp-relay';
import { createTestCa, type TestCa } from '../helpers/test-certs';

/**
 * The relay conformance table, part 2: TLS, logins and protocol quirks of mainstream relays. Every
 * row runs a real alert through the real workers; the relay presents certificates from a private CA
 * made for the test run.
 */

let ca: TestCa | undefined;
const testCa = () => (ca ??= createTestCa());
afterAll(() => ca?.remove());
const withCa = () => ({ SMTP_TLS_CA: testCa().caFile });
const ipCert = () => testCa().leaf('relay-ip', ['IP:127.0.0.1']);

const PASSWORD = 'p@ss:w/rd#%?& ü';

function relayWith(config: () => RelayConfig, url: (relay: SmtpRelay) => string = (r) => r.url({ user: 'kilat', pass: PASSWORD })) {
  const holder: { relay?: SmtpRelay } = {};
  return {
    holder,
    start: async () => {
      const relay = await startSmtpRelay(config());
      holder.relay = relay;
      return {
        url: url(relay),
        // Read through the holder: a row may replace the relay on the same port to fix it.
        get messages() {
          return holder.relay!.messages;
        },
        stop: () => holder.relay!.stop(),
      };
    },
  };
}

const login = (methods: ('PLAIN' | 'LOGIN' | 'CRAM-MD5' | 'XOAUTH2')[]) => ({ methods, users: { kilat: PASSWORD }, tokens: { kilat: 'ya29.token-yang-benar' }, required: true });

/**
 * A TCP proxy in front of a relay that lets the first connection reach STARTTLS and then forwards
 * nothing more: the TLS handshake stalls, as behind a broken middlebox. Later connections pass.
 */
async function stallFirstHandshake(relayPort: number) {
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    const stall = connections === 1;
    const upstream = net.connect(relayPort, '127.0.0.1');
    let starttls = false;
    let stalled = false;
    client.on('data', (d) => {
      if (stalled) return;
      if (stall && /^STARTTLS\r\n/im.test(d.toString('latin1'))) starttls = true;
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (stalled) return;
      client.write(d);
      if (starttls && d.toString('latin1').startsWith('220')) stalled = true;
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as net.AddressInfo).port, connections: () => connections, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A row where the relay works as configured: everyone gets both alerts; `check` says how it went. */
const delivers = (behaviour: string, start: RelayRow['start'], env: RelayRow['env'], check: RelayRow['check']): RelayRow => ({
  behaviour,
  start,
  env,
  first: { state: 'completed' },
  delivered: 'all',
  check,
});

const rows: RelayRow[] = (() => {
  const plain = relayWith(() => ({}), (r) => r.url());
  const startTls = relayWith(() => ({ cert: ipCert(), auth: login(['PLAIN', 'LOGIN']) }));
  const untrusted = relayWith(() => ({ cert: ipCert(), auth: login(['PLAIN']) }));
  let wrongNamePort = 0;
  const wrongName = relayWith(() => ({ cert: testCa().leaf('relay-dns', ['DNS:relay.example']), auth: login(['PLAIN']) }));
  const named = relayWith(() => ({ cert: testCa().leaf('relay-localhost', ['DNS:localhost']), auth: login(['PLAIN']) }), (r) => r.url({ user: 'kilat', pass: PASSWORD, host: 'localhost' }));
  const implicit = relayWith(() => ({ tls: 'implicit', cert: ipCert(), auth: login(['PLAIN']) }));
  const noStartTls = relayWith(() => ({ cert: ipCert(), auth: login(['PLAIN']) }));
  const cram = relayWith(() => ({ cert: ipCert(), auth: login(['CRAM-MD5']) }));
  const loginOnly = relayWith(() => ({ cert: ipCert(), auth: login(['LOGIN']) }));
  const xoauth = relayWith(() => ({ cert: ipCert(), auth: login(['XOAUTH2']) }), (r) => r.url({ user: 'kilat' }));
  const xoauthExpired = relayWith(() => ({ cert: ipCert(), auth: login(['XOAUTH2']) }), (r) => r.url({ user: 'kilat' }));
  const helo = relayWith(() => ({ ehlo: false }), (r) => r.url());
  const limited = relayWith(() => ({ maxClients: 2 }), (r) => r.url());
  const perConnection = relayWith(() => ({ messagesPerConnection: 5 }), (r) => r.url());
  let proxy: Awaited<ReturnType<typeof stallFirstHandshake>> | undefined;
  const stalled = {
    start: async () => {
      const relay = await startSmtpRelay({ cert: ipCert(), auth: login(['PLAIN']) });
      proxy = await stallFirstHandshake(relay.port);
      return {
        url: `smtp://kilat:${encodeURIComponent(PASSWORD)}@127.0.0.1:${proxy.port}`,
        messages: relay.messages,
        stop: async () => {
          await proxy!.stop();
          await relay.stop();
        },
      };
    },
  };

  return [
    {
      behaviour: 'plain relay on loopback: EHLO name, SIZE and PIPELINING',
      start: plain.start,
      first: { state: 'completed' },
      delivered: 'all',
      check: () => {
        for (const m of plain.holder.relay!.messages) {
          expect(m.hello).toBe('kilat.example'); // the MAIL_FROM domain
          expect(Number(m.mailArgs.SIZE)).toBe(Buffer.byteLength(m.raw));
          expect(m.secure).toBe(false);
        }
      },
    },
    {
      behaviour: 'STARTTLS + AUTH PLAIN, IP-addressed relay, private CA (SMTP_TLS_CA)',
      start: startTls.start,
      env: withCa,
      first: { state: 'completed' },
      delivered: 'all',
      check: () => {
        const r = startTls.holder.relay!;
        expect(r.messages.every((m) => m.secure && m.user === 'kilat' && m.servername === undefined)).toBe(true);
        expect(r.logins.every((l) => l.ok && l.method === 'PLAIN')).toBe(true);
      },
    },
    {
      behaviour: 'private CA not given: the certificate is refused',
      start: untrusted.start,
      first: { state: 'paused', reason: /^TLS with the relay 127\.0\.0\.1:\d+ failed: .*\(a relay with a private CA needs SMTP_TLS_CA\)$/ },
      delivered: 'none',
      check: () => expect(untrusted.holder.relay!.logins).toHaveLength(0),
      fix: { env: () => withCa() },
    },
    {
      behaviour: 'IP-addressed relay whose certificate names another host',
      start: async () => {
        const started = await wrongName.start();
        wrongNamePort = wrongName.holder.relay!.port;
        return started;
      },
      env: withCa,
      first: { state: 'paused', reason: /^TLS with the relay 127\.0\.0\.1:\d+ failed: .*IP: 127\.0\.0\.1 is not in the cert's list.*\(the certificate must name 127\.0\.0\.1, as SMTP_URL does\)$/ },
      delivered: 'none',
      check: () => expect(wrongName.holder.relay!.logins).toHaveLength(0),
      fix: {
        // The relay's operator installs a certificate for its address, on the same port.
        relay: async () => {
          await wrongName.holder.relay!.stop();
          wrongName.holder.relay = await startSmtpRelay({ cert: ipCert(), auth: login(['PLAIN']) }, { port: wrongNamePort });
        },
      },
    },
    delivers('relay named by host name: SNI and the name checked', named.start, withCa, () => expect(named.holder.relay!.messages.every((m) => m.secure && m.servername === 'localhost')).toBe(true)),
    delivers('implicit TLS (smtps://)', implicit.start, withCa, () => expect(implicit.holder.relay!.messages.every((m) => m.secure)).toBe(true)),
    {
      behaviour: 'no STARTTLS offered, credentials given: the password is not sent',
      start: async () => {
        const started = await noStartTls.start();
        noStartTls.holder.relay!.options.hideSTARTTLS = true;
        return started;
      },
      env: withCa,
      first: { state: 'paused', reason: /^the relay 127\.0\.0\.1:\d+ does not offer STARTTLS and SMTP_TLS is require \(the default with credentials or port 587\): the password is never sent unencrypted$/ },
      delivered: 'none',
      check: () => expect(noStartTls.holder.relay!.logins).toHaveLength(0),
      fix: { relay: () => void (noStartTls.holder.relay!.options.hideSTARTTLS = false) },
    },
    delivers('AUTH CRAM-MD5 only', cram.start, withCa, () => expect(cram.holder.relay!.logins.every((l) => l.ok && l.method === 'CRAM-MD5')).toBe(true)),
    delivers('AUTH LOGIN only', loginOnly.start, withCa, () => expect(loginOnly.holder.relay!.logins.every((l) => l.ok && l.method === 'LOGIN')).toBe(true)),
    {
      behaviour: 'XOAUTH2 bearer token (SMTP_OAUTH2_TOKEN)',
      start: xoauth.start,
      env: () => ({ ...withCa(), SMTP_OAUTH2_TOKEN: 'ya29.token-yang-benar' }),
      first: { state: 'completed' },
      delivered: 'all',
      check: () => expect(xoauth.holder.relay!.logins.every((l) => l.ok && l.method === 'XOAUTH2')).toBe(true),
    },
    {
      behaviour: 'XOAUTH2 token expired',
      start: xoauthExpired.start,
      env: () => ({ ...withCa(), SMTP_OAUTH2_TOKEN: 'ya29.token-kedaluwarsa' }),
      first: { state: 'paused', reason: /^the relay refused the login: 535 / },
      delivered: 'none',
      fix: { env: () => ({ SMTP_OAUTH2_TOKEN: 'ya29.token-yang-benar' }) },
    },
    {
      behaviour: 'EHLO refused: HELO, with SMTP_EHLO_NAME',
      start: helo.start,
      env: { SMTP_EHLO_NAME: 'mail.kilat.example' } as Record<string, string>,
      first: { state: 'completed' },
      delivered: 'all',
      check: () => {
        for (const m of helo.holder.relay!.messages) {
          expect(m.hello).toBe('mail.kilat.example');
          expect(m.mailArgs.SIZE).toBeUndefined(); // HELO: no extensions to use
        }
      },
    },
    {
      behaviour: '421 at the greeting for connections beyond 2',
      start: limited.start,
      env: { SMTP_POOL_SIZE: '8' } as Record<string, string>,
      first: { state: 'completed' },
      delivered: 'all',
      check: async ({ k }) => {
        // The pool shrank to what the relay takes instead of failing sends: no batch needed a retry.
        const jobs = await k.api.core.queues.send.getJobs(['completed']);
        expect(jobs.every((j) => j.attemptsMade === 1)).toBe(true);
        expect(limited.holder.relay!.refusedConnections).toBeGreaterThan(0);
        expect(limited.holder.relay!.refusedConnections).toBeLessThanOrEqual(8);
      },
    },
    {
      behaviour: 'relay ends each connection after 5 messages (421)',
      start: perConnection.start,
      subscribers: 60,
      first: { state: 'completed' },
      delivered: 'all',
      check: async ({ k }) => {
        // Resent on a fresh connection instead of failing the message (and backing off the batch).
        const jobs = await k.api.core.queues.send.getJobs(['completed']);
        expect(jobs.every((j) => j.attemptsMade === 1)).toBe(true);
      },
    },
    {
      behaviour: 'TLS handshake stalls (first connection)',
      start: stalled.start,
      env: () => ({ ...withCa(), SMTP_POOL_SIZE: '1', SMTP_TIMEOUT_MS: '1500' }),
      first: { state: 'completed' },
      delivered: 'all',
      // The stalled handshake timed out and freed the pool's only slot: later connections did the work.
      check: () => expect(proxy!.connections()).toBeGreaterThanOrEqual(2),
    },
  ];
})();

describe('relay conformance: TLS, logins, protocol', () => {
  test.each(rows.map((r) => [r.behaviour, r] as const))('%s', (_name, r) => runRelayRow(r));
});

describe('SMTPUTF8', () => {
  const UTF8_READER = 'pembaca.ümit@contoh.co.id';

  test.each([
    ['a relay that offers SMTPUTF8 gets the address as it is, with SMTPUTF8 declared', true],
    ['a relay without SMTPUTF8: that reader is not sent (nor suppressed), everyone else is', false],
  ])('%s', async (_name, offered) => {
    const relay = await startSmtpRelay({ smtputf8: offered });
    const k = await startKilat({ env: { SMTP_URL: relay.url(), SEND_RETRY_BASE_MS: '50' } });
    try {
      const emails = await seedConfirmed(k.api.core.subscribers, 5, { domain: 'contoh.co.id', prefix: 'pembaca' });
      // Addresses with a non-ASCII local part reach the store from imports and older sign-ups.
      const { id } = await k.api.core.subscribers.signup({ email: UTF8_READER, locale: 'id', topics: [] });
      await k.api.core.subscribers.confirm(id, (await k.api.core.subscribers.get(id))!.nonce);
      const alertId = await publish(k, { title: 'Alamat UTF-8' });
      await waitUntil(async () => (await alertStatus(k, alertId)).state === 'completed', 20_000, 'completed');
      const to = relay.messages.flatMap((m) => m.to);
      if (offered) {
        expect(to.sort()).toEqual([...emails, UTF8_READER].sort());
        const m = relay.to(UTF8_READER)[0]!;
        expect(m.mailArgs.SMTPUTF8).toBe(true);
        expect(await alertStatus(k, alertId)).toMatchObject({ sent: 6, failed: 0 });
      } else {
        expect(to.sort()).toEqual([...emails].sort());
        expect(relay.messages.every((m) => m.mailArgs.SMTPUTF8 === undefined)).toBe(true);
        expect(await alertStatus(k, alertId)).toMatchObject({ state: 'completed', sent: 5, failed: 1 });
      }
      expect((await k.api.core.subscribers.get(id))!.status).toBe('confirmed');
    } finally {
      await k.stop();
      await relay.stop();
    }
  });
});

describe('test send through a refusing relay', () => {
  test('the editor sees the relay reason, with the address masked', async () => {
    const relay = await startSmtpRelay({});
    relay.policy.rcptTo = (to) => ({ code: 554, text: `5.7.1 <${to}>: Relay access denied` });
    const k = await startKilat({ env: { SMTP_URL: relay.url() } });
    try {
      const res = await postJson(`${k.baseUrl}/api/articles/test-send`, { to: 'redaksi@contoh.co.id', article: { title: 'Uji', body: 'Isi.' } }, bearer);
      expect(res.status).toBe(502);
      expect(res.body.error.message).toMatch(/Relay access denied/);
      expect(res.body.error.message).not.toContain('redaksi@contoh.co.id');
    } finally {
      await k.stop();
      await relay.stop();
    }
  });
});
