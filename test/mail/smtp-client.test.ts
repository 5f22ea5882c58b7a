import net from 'node:net';
import { SmtpError } from '../../src/mail/smtp-connection';
import { createSmtpPool } from '../../src/mail/smtp-pool';
import { classifySendError } from '../../src/mail/transport';
import { waitUntil } from '../helpers/kilat';
import { smtpOptions } from '../helpers/smtp-options';

/**
 * A scripted SMTP server on raw TCP, for what smtp-server cannot be made to do (stall before the
 * greeting, drop the line after the final dot) and to see the exact bytes a client sends.
 */
async function scriptedServer(behave: { greet?: (n: number) => boolean; afterDot?: (n: number) => 'ok' | 'drop' } = {}) {
  const commands: string[] = [];
  const bodies: string[] = [];
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const n = ++connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (behave.greet && !behave.greet(n)) return; // silent: never greets
    socket.write('220 scripted ESMTP\r\n');
    let buf = '';
    let inData = false;
    socket.on('data', (chunk) => {
      buf += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end < 0) return;
          bodies.push(buf.slice(0, end + 2));
          buf = buf.slice(end + 5);
          inData = false;
          if ((behave.afterDot?.(n) ?? 'ok') === 'drop') return void socket.destroy();
          socket.write('250 2.0.0 queued\r\n');
          continue;
        }
        const at = buf.indexOf('\r\n');
        if (at < 0) return;
        const line = buf.slice(0, at);
        buf = buf.slice(at + 2);
        commands.push(line);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') socket.write('250-scripted\r\n250-PIPELINING\r\n250 SIZE 1000000\r\n');
        else if (verb === 'DATA') {
          socket.write('354 go ahead\r\n');
          inData = true;
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('250 2.1.0 ok\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    commands,
    bodies,
    connections: () => connections,
    stop: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('SMTP client on the wire', () => {
  test('bare LF and CR become CRLF, a leading dot is stuffed, and SIZE is declared', async () => {
    const s = await scriptedServer();
    const pool = createSmtpPool({ connection: smtpOptions(`smtp://127.0.0.1:${s.port}`), size: 1 });
    try {
      await pool.send('alerts@kilat.example', 'budi@contoh.co.id', 'Subject: x\n\n.dot line\rnext\r\nend');
      expect(s.bodies).toEqual(['Subject: x\r\n\r\n..dot line\r\nnext\r\nend\r\n']);
      const mail = s.commands.find((c) => c.startsWith('MAIL FROM'))!;
      expect(mail).toBe(`MAIL FROM:<alerts@kilat.example> SIZE=${Buffer.byteLength('Subject: x\r\n\r\n.dot line\r\nnext\r\nend\r\n')}`);
    } finally {
      await pool.close();
      await s.stop();
    }
  });

  test('closing the pool says QUIT on idle connections, and so does an idle timeout', async () => {
    const s = await scriptedServer();
    const pool = createSmtpPool({ connection: smtpOptions(`smtp://127.0.0.1:${s.port}`, { SMTP_TIMEOUT_MS: '1000' }), size: 2 });
    try {
      await pool.send('a@kilat.example', 'b@contoh.co.id', 'Subject: x\r\n\r\nhi\r\n');
      // Idle for SMTP_TIMEOUT_MS: the client leaves politely.
      await waitUntil(async () => s.commands.includes('QUIT'), 5000, 'QUIT after idling');
      await pool.send('a@kilat.example', 'c@contoh.co.id', 'Subject: x\r\n\r\nhi\r\n');
      const before = s.commands.filter((c) => c === 'QUIT').length;
      await pool.close();
      await waitUntil(async () => s.commands.filter((c) => c === 'QUIT').length > before, 5000, 'QUIT on close');
    } finally {
      await s.stop();
    }
  });

  test('a connection dropped after the final dot: the message is sent once more on a fresh connection', async () => {
    const s = await scriptedServer({ afterDot: (n) => (n === 1 ? 'drop' : 'ok') });
    const pool = createSmtpPool({ connection: smtpOptions(`smtp://127.0.0.1:${s.port}`), size: 1 });
    try {
      await pool.send('a@kilat.example', 'b@contoh.co.id', 'Subject: x\r\n\r\nhi\r\n');
      expect(s.connections()).toBe(2);
      expect(s.bodies).toHaveLength(2); // the relay may have kept the first: a duplicate is possible, a loss is not
    } finally {
      await pool.close();
      await s.stop();
    }
  });

  test('dropped twice: the send fails as a temporary relay failure, not about the recipient', async () => {
    const s = await scriptedServer({ afterDot: () => 'drop' });
    const pool = createSmtpPool({ connection: smtpOptions(`smtp://127.0.0.1:${s.port}`), size: 1 });
    try {
      const err = await pool.send('a@kilat.example', 'b@contoh.co.id', 'Subject: x\r\n\r\nhi\r\n').catch((e: unknown) => e);
      expect(classifySendError(err)).toMatchObject({ kind: 'relay', permanent: false });
      expect(s.connections()).toBe(2);
    } finally {
      await pool.close();
      await s.stop();
    }
  });

  test('a relay that never greets fails within the handshake deadline and frees the slot', async () => {
    const s = await scriptedServer({ greet: (n) => n > 1 });
    const pool = createSmtpPool({ connection: smtpOptions(`smtp://127.0.0.1:${s.port}`, { SMTP_TIMEOUT_MS: '1000' }), size: 1 });
    try {
      const started = Date.now();
      const err = await pool.send('a@kilat.example', 'b@contoh.co.id', 'Subject: x\r\n\r\nhi\r\n').catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(3000);
      expect((err as Error).message).toMatch(/^the relay 127\.0\.0\.1:\d+ did not send its greeting within 1000 ms$/);
      expect(classifySendError(err)).toMatchObject({ kind: 'relay', permanent: false });
      // The one slot is free again: the next send opens a new connection and goes through.
      await pool.send('a@kilat.example', 'b@contoh.co.id', 'Subject: x\r\n\r\nhi\r\n');
      expect(s.bodies).toHaveLength(1);
    } finally {
      await pool.close();
      await s.stop();
    }
  });
});

describe('who is at fault: classification by stage and RFC 3463 code', () => {
  const reply = (stage: SmtpError['stage'], code: number, text: string) =>
    new SmtpError(`${stage} refused`, { stage, responseCode: code, enhancedCode: /^\d\.\d{1,3}\.\d{1,3}/.exec(text)?.[0], response: `${code} ${text}` });
  const other = (stage: SmtpError['stage'], code: string, permanent: boolean) => new SmtpError(`${code} failure`, { stage, code, permanent });

  const rows = ([
    // the address itself: a hard bounce
    ['rcpt', reply('rcpt', 550, '5.1.1 <a@b.c>: Recipient address rejected: User unknown'), { kind: 'recipient' }],
    ['rcpt', reply('rcpt', 550, '5.1.2 bad destination domain'), { kind: 'recipient' }],
    ['rcpt', reply('rcpt', 550, '5.1.10 RESOLVER.ADR.RecipientNotFound; null MX'), { kind: 'recipient' }],
    ['rcpt', reply('rcpt', 550, '5.2.1 The email account that you tried to reach is disabled'), { kind: 'recipient' }],
    ['rcpt', reply('rcpt', 550, 'No such user here'), { kind: 'recipient' }],
    ['rcpt', reply('rcpt', 551, 'User not local'), { kind: 'recipient' }],
    ['rcpt', reply('rcpt', 553, 'mailbox name not allowed'), { kind: 'recipient' }],
    // the mailbox, for now
    ['rcpt', reply('rcpt', 452, '4.2.2 The email account that you tried to reach is over quota'), { kind: 'mailbox' }],
    ['rcpt', reply('rcpt', 451, '4.7.1 Greylisted, try again later'), { kind: 'mailbox' }],
    ['rcpt', reply('rcpt', 552, '5.2.2 Mailbox full'), { kind: 'mailbox' }],
    ['message', reply('message', 452, '4.2.2 Mailbox full'), { kind: 'mailbox' }],
    ['message', reply('message', 451, '4.7.1 Greylisted'), { kind: 'mailbox' }],
    // the relay or the sender
    ['rcpt', reply('rcpt', 554, '5.7.1 <a@b.c>: Relay access denied'), { kind: 'relay', permanent: true }],
    ['rcpt', reply('rcpt', 550, '5.7.1 Client host blocked using Spamhaus'), { kind: 'relay', permanent: true }],
    ['rcpt', reply('rcpt', 552, '5.3.4 Message size exceeds fixed limit'), { kind: 'relay', permanent: true }],
    ['rcpt', reply('rcpt', 501, '5.5.2 Syntax error'), { kind: 'relay', permanent: true }],
    ['rcpt', reply('rcpt', 554, 'Transaction failed'), { kind: 'relay', permanent: true }],
    ['rcpt', reply('rcpt', 421, '4.7.0 Too many errors, closing'), { kind: 'relay', permanent: false }],
    ['message', reply('message', 550, '5.1.1 user unknown'), { kind: 'relay', permanent: true }],
    ['message', reply('message', 550, '5.7.26 Unauthenticated email is not accepted due to DMARC'), { kind: 'relay', permanent: true }],
    ['message', reply('message', 451, '4.3.0 Local error in processing'), { kind: 'relay', permanent: false }],
    ['mail', reply('mail', 553, '5.1.8 Sender domain does not exist'), { kind: 'relay', permanent: true }],
    ['mail', reply('mail', 530, '5.7.0 Authentication required'), { kind: 'relay', permanent: true }],
    ['mail', reply('mail', 451, '4.3.0 Try again'), { kind: 'relay', permanent: false }],
    ['auth', reply('auth', 535, '5.7.8 Username and Password not accepted'), { kind: 'relay', permanent: true }],
    ['auth', reply('auth', 454, '4.7.0 Temporary authentication failure'), { kind: 'relay', permanent: false }],
    ['greeting', reply('greeting', 554, 'No SMTP service here'), { kind: 'relay', permanent: true }],
    ['connect', other('connect', 'ECONNECTION', false), { kind: 'relay', permanent: false }],
    ['connect', other('connect', 'EDNS', true), { kind: 'relay', permanent: true }],
    ['starttls', other('starttls', 'ETLS', true), { kind: 'relay', permanent: true }],
    ['starttls', other('starttls', 'ETIMEDOUT', false), { kind: 'relay', permanent: false }],
    ['mail', other('mail', 'ESIZE', true), { kind: 'relay', permanent: true }],
    // this address cannot go through this relay
    ['rcpt', other('rcpt', 'ESMTPUTF8', true), { kind: 'unsendable' }],
  ] as const).map(([stage, err, expected]) => [stage, err.response ?? err.code!, err, expected] as const);
  test.each(rows)('%s %s', (_stage, _what, err, expected) => {
    expect(classifySendError(err)).toMatchObject(expected);
  });

  test('reply texts are masked wherever they go', () => {
    const f = classifySendError(reply('rcpt', 554, '5.7.1 <budi.santoso@contoh.co.id>: Relay access denied'));
    expect(JSON.stringify(f)).not.toContain('budi.santoso@contoh.co.id');
    expect(f).toMatchObject({ reason: 'the relay refused the recipients: 554 5.7.1 <b***o@c***.co.id>: Relay access denied' });
  });
});
