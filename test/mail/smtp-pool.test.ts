import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { classifySendError } from '../../src/mail/transport';
import { createSmtpPool } from '../../src/mail/smtp-pool';
import { smtpOptions } from '../helpers/smtp-options';

interface Received {
  from: string;
  to: string[];
  raw: string;
  secure: boolean;
  user?: string;
}

/** A real SMTP server that offers STARTTLS (its built-in test certificate) and requires AUTH over TLS. */
async function startServer(reject: (to: string) => number | undefined = () => undefined) {
  const received: Received[] = [];
  let open = 0;
  let maxOpen = 0;
  const server = new SMTPServer({
    logger: false,
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: false,
    onConnect(_s, cb) {
      open++;
      maxOpen = Math.max(maxOpen, open);
      cb();
    },
    onClose() {
      open--;
    },
    onAuth(auth, _session, cb) {
      if (auth.username === 'kilat' && auth.password === 's3cret: p@ss') return cb(null, { user: auth.username });
      cb(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, cb) {
      const code = reject(address.address);
      if (!code) return cb();
      const err = new Error(code >= 500 ? 'no such mailbox' : 'try again later') as Error & { responseCode: number };
      err.responseCode = code;
      cb(err);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
          user: session.user as string | undefined,
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, received, maxOpen: () => maxOpen, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

const message = (to: string, body: string) =>
  `From: alerts@kilat.example\r\nTo: ${to}\r\nSubject: Kabar\r\nMessage-ID: <${to}@kilat.example>\r\n\r\n${body}`;

describe('pooled SMTP client', () => {
  test('upgrades with STARTTLS, logs in, keeps dots at line starts, and never opens more connections than its size', async () => {
    const server = await startServer();
    const pool = createSmtpPool({ connection: smtpOptions(`smtp://kilat:${encodeURIComponent('s3cret: p@ss')}@127.0.0.1:${server.port}?tls.rejectUnauthorized=false`), size: 3 });
    try {
      const body = '.starts with a dot\r\nline two\r\n..two dots\r\n.\r\nend\r\n';
      await Promise.all(Array.from({ length: 20 }, (_, i) => pool.send('alerts@kilat.example', `reader${i}@contoh.co.id`, message(`reader${i}@contoh.co.id`, body))));
      expect(server.received).toHaveLength(20);
      expect(server.maxOpen()).toBeLessThanOrEqual(3);
      for (const m of server.received) {
        expect(m.secure).toBe(true);
        expect(m.user).toBe('kilat');
        expect(m.from).toBe('alerts@kilat.example');
        const parsed = await simpleParser(m.raw);
        expect(m.to).toEqual([parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]!.address : '']);
        expect(m.raw.endsWith(body)).toBe(true);
      }
    } finally {
      await pool.close();
      await server.stop();
    }
  });

  test('a refused recipient is a classified error and the connection goes on serving the next message', async () => {
    const server = await startServer((to) => (to.startsWith('gone') ? 550 : to.startsWith('later') ? 451 : undefined));
    const pool = createSmtpPool({ connection: smtpOptions(`smtp://kilat:${encodeURIComponent('s3cret: p@ss')}@127.0.0.1:${server.port}?tls.rejectUnauthorized=false`), size: 1 });
    try {
      const hard = await pool.send('a@kilat.example', 'gone@contoh.co.id', message('gone@contoh.co.id', 'x\r\n')).catch((e: unknown) => e);
      expect(classifySendError(hard)).toMatchObject({ kind: 'recipient', code: 550 });
      const soft = await pool.send('a@kilat.example', 'later@contoh.co.id', message('later@contoh.co.id', 'x\r\n')).catch((e: unknown) => e);
      expect(classifySendError(soft)).toMatchObject({ kind: 'mailbox', code: 451 });
      await pool.send('a@kilat.example', 'ok@contoh.co.id', message('ok@contoh.co.id', 'x\r\n'));
      expect(server.received.map((m) => m.to)).toEqual([['ok@contoh.co.id']]);
    } finally {
      await pool.close();
      await server.stop();
    }
  });

  test('a wrong password is a permanent relay failure and a closed port a temporary one, each naming the cause', async () => {
    const server = await startServer();
    const wrong = createSmtpPool({ connection: smtpOptions(`smtp://kilat:nope@127.0.0.1:${server.port}?tls.rejectUnauthorized=false`), size: 1 });
    const err = await wrong.send('a@kilat.example', 'b@contoh.co.id', message('b@contoh.co.id', 'x\r\n')).catch((e: unknown) => e);
    expect(classifySendError(err)).toMatchObject({ kind: 'relay', permanent: true, reason: expect.stringMatching(/^the relay refused the login: 535 /) });
    await wrong.close();
    await server.stop();
    const closed = createSmtpPool({ connection: smtpOptions(`smtp://127.0.0.1:${server.port}`), size: 1 });
    const refused = await closed.send('a@kilat.example', 'b@contoh.co.id', 'x\r\n').catch((e: unknown) => e);
    expect(classifySendError(refused)).toMatchObject({ kind: 'relay', permanent: false, reason: expect.stringMatching(/^cannot connect to the relay 127\.0\.0\.1:\d+/) });
    await closed.close();
  });
});
