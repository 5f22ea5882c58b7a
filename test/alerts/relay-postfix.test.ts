import { runRelayRow, type RelayRow } from '../helpers/relay-conformance';
import { startPostfix, type Postfix } from '../helpers/postfix';
import { startSmtpRelay, type SmtpRelay } from '../helpers/smtp-relay';
import { createTestCa, type TestCa } from '../helpers/test-certs';

/**
 * The relay conformance table, part 3: a real MTA. Debian's Postfix smtpd, started by this file on
 * free ports with its own configuration, requiring STARTTLS, relaying everything it accepts to a
 * capture server; three smtpd services with the settings of three real misconfigurations.
 */
describe('relay conformance: Postfix', () => {
  let ca: TestCa;
  let capture: SmtpRelay;
  let postfix: Postfix;
  beforeAll(async () => {
    ca = createTestCa();
    capture = await startSmtpRelay({});
    postfix = await startPostfix({
      relayTo: capture.port,
      cert: ca.leaf('postfix', ['IP:127.0.0.1']),
      services: [
        { name: 'submission' },
        // A limit smaller than a breaking-news email.
        { name: 'small', overrides: { message_size_limit: '4000' } },
        // Kilat's address is not in mynetworks: Postfix's own "Relay access denied".
        { name: 'denied', overrides: { mynetworks: '192.0.2.0/24' } },
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await postfix?.stop();
    await capture?.stop();
    ca?.remove();
  });

  const via = (service: string) => async () => ({ url: `smtp://127.0.0.1:${postfix.ports[service]}`, messages: capture.messages, stop: async () => undefined });
  const env = () => ({ SMTP_TLS: 'require', SMTP_TLS_CA: ca.caFile });
  const good = () => ({ SMTP_URL: `smtp://127.0.0.1:${postfix.ports.submission}` });

  const rows: RelayRow[] = [
    {
      behaviour: 'Postfix requiring STARTTLS, relaying on',
      start: via('submission'),
      env,
      first: { state: 'completed' },
      delivered: 'all',
      check: () => {
        const ours = capture.messages.filter((m) => /satu$/.test(m.parsed.subject ?? ''));
        // Through Postfix, over TLS: its own Received header says so.
        expect(ours.every((m) => /by relay\.kilat\.test \(Postfix\) with ESMTPS/.test(m.raw))).toBe(true);
      },
    },
    {
      behaviour: 'Postfix requiring STARTTLS, Kilat told SMTP_TLS=none',
      start: via('submission'),
      env: { SMTP_TLS: 'none' },
      first: { state: 'paused', reason: /^the relay requires TLS first: 530 5\.7\.0 Must issue a STARTTLS command first \(SMTP_TLS=none keeps Kilat from using it\)$/ },
      delivered: 'none',
      fix: { env: () => env() },
    },
    {
      behaviour: 'Postfix message_size_limit smaller than the alert',
      start: via('small'),
      env,
      first: { state: 'paused', reason: /^the relay's size limit is 4,000 bytes and this message is \d{1,3}(,\d{3})+ bytes$/ },
      delivered: 'none',
      fix: { env: good },
    },
    {
      behaviour: 'Postfix relay access denied (554 5.7.1)',
      start: via('denied'),
      env,
      first: { state: 'paused', reason: /^the relay refused the recipients: 554 5\.7\.1 <p\*\*\*\d+@c\*\*\*\.co\.id>: Relay access denied$/ },
      delivered: 'none',
      fix: { env: good },
    },
  ];

  test.each(rows.map((r) => [r.behaviour, r] as const))('%s', (_name, r) => runRelayRow(r), 90_000);
});
