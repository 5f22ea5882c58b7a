import { kilatCli } from '../helpers/cli';
import { PUBLISHER_TOKEN, SECRET_KEY } from '../helpers/kilat';
import { startSmtpRelay, type SmtpRelay } from '../helpers/smtp-relay';
import { createTestCa, type TestCa } from '../helpers/test-certs';

describe('kilat smtp check', () => {
  let ca: TestCa;
  let relay: SmtpRelay;
  beforeAll(async () => {
    ca = createTestCa();
    relay = await startSmtpRelay({ cert: ca.leaf('relay', ['IP:127.0.0.1']), auth: { methods: ['PLAIN', 'LOGIN'], users: { kilat: 'rahasia' }, required: true }, size: 5_000_000 });
  });
  afterAll(async () => {
    await relay.stop();
    ca.remove();
  });
  // No REDIS_URL: the check needs none.
  const env = (extra: Record<string, string>) => ({ NODE_ENV: 'test', PUBLISHER_TOKEN, SECRET_KEY, MAIL_FROM: 'Kilat Berita <alerts@kilat.example>', SMTP_TLS_CA: ca.caFile, ...extra });

  test('says what the relay offers, logs in, and sends one test message with --to', async () => {
    const r = await kilatCli(env({ SMTP_URL: relay.url({ user: 'kilat', pass: 'rahasia' }) }), 'smtp', 'check', '--to', 'redaksi@contoh.co.id');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^relay {6}127\.0\.0\.1:\d+, SMTP_TLS=require, EHLO name kilat\.example$/),
        expect.stringMatching(/^TLS {8}TLSv1\.[23] \S+, certificate checked against 127\.0\.0\.1$/),
        'offers     SIZE 5,000,000 bytes · PIPELINING yes · SMTPUTF8 yes · AUTH PLAIN LOGIN',
        'login      kilat (PLAIN)',
        expect.stringMatching(/^test {7}a message to redaksi@contoh\.co\.id was accepted \(\d+ bytes\)$/),
        'relay OK: the workers can send through it',
      ]),
    );
    const m = relay.to('redaksi@contoh.co.id');
    expect(m).toHaveLength(1);
    expect(m[0]!.parsed.subject).toBe('Kilat SMTP check');
    expect(m[0]!.secure).toBe(true);
  });

  test('a wrong password: exit 1, what it learnt, and the reason in plain words', async () => {
    const r = await kilatCli(env({ SMTP_URL: relay.url({ user: 'kilat', pass: 'salah' }) }), 'smtp', 'check');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('offers     SIZE 5,000,000 bytes · PIPELINING yes · SMTPUTF8 yes · AUTH PLAIN LOGIN');
    expect(r.stdout).toMatch(/^FAILED {5}the relay refused the login: 535 5\.7\.8 Username and Password not accepted$/m);
  });

  test('no STARTTLS on a relay that needs a login: exit 1, the password never sent', async () => {
    const plain = await startSmtpRelay({ auth: { methods: ['PLAIN'], users: { kilat: 'rahasia' }, required: true } });
    try {
      const r = await kilatCli(env({ SMTP_URL: plain.url({ user: 'kilat', pass: 'rahasia' }) }), 'smtp', 'check');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('TLS        none: this connection is not encrypted');
      expect(r.stdout).toMatch(/^FAILED {5}the relay 127\.0\.0\.1:\d+ does not offer STARTTLS and SMTP_TLS is require/m);
      expect(plain.logins).toHaveLength(0);
    } finally {
      await plain.stop();
    }
  });

  test('without SMTP_URL there is nothing to check', async () => {
    const r = await kilatCli(env({}), 'smtp', 'check');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('kilat: SMTP_URL is not set: Kilat writes emails to the dev outbox, there is no relay to check');
  });
});
