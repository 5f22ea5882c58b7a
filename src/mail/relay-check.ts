import MailComposer from 'nodemailer/lib/mail-composer';
import type { SmtpSettings } from '../config';
import { smtpConnectionOptions } from './create-transport';
import { parseMailFrom } from './mailer';
import { SmtpConnection, SmtpError, type SmtpSessionInfo } from './smtp-connection';
import { relayReason } from './transport';

export interface RelayCheck {
  ok: boolean;
  /** What was learnt, one line each, for a person to read. */
  lines: string[];
  /** Why the relay is unusable, in plain words (see relayReason). */
  problem?: string;
}

/**
 * `kilat smtp check`: connects as the workers do (same TLS mode, EHLO name, login), says what the
 * relay offers and, with `to`, sends one small test message. Never throws for a relay problem.
 */
export async function checkRelay(smtp: SmtpSettings, opts: { timeoutMs: number; mailFrom: string; to?: string }): Promise<RelayCheck> {
  const lines: string[] = [];
  const mode = smtp.tls === 'implicit' ? 'TLS from the first byte (smtps://)' : `SMTP_TLS=${smtp.tls}`;
  lines.push(`relay      ${smtp.host}:${smtp.port}, ${mode}, EHLO name ${smtp.ehloName}`);
  for (const w of smtp.warnings) lines.push(`WARNING    ${w}`);
  let conn: SmtpConnection;
  try {
    conn = await SmtpConnection.open(smtpConnectionOptions(smtp, opts.timeoutMs));
  } catch (err) {
    if (err instanceof SmtpError && err.session) describe(err.session, smtp, lines);
    const problem = relayReason(err);
    lines.push(`FAILED     ${problem}`);
    return { ok: false, lines, problem };
  }
  describe(conn.info, smtp, lines);
  try {
    if (opts.to) {
      const { address } = parseMailFrom(opts.mailFrom);
      const raw = await new Promise<string>((resolve, reject) =>
        new MailComposer({
          from: opts.mailFrom,
          to: opts.to,
          subject: 'Kilat SMTP check',
          text: `This is a test message from \`kilat smtp check\` through ${smtp.host}:${smtp.port}. It reached you, so alerts can too.\n`,
        })
          .compile()
          .build((err, message) => (err ? reject(err) : resolve(message.toString('utf8')))),
      );
      try {
        await conn.send(address, opts.to, raw);
        lines.push(`test       a message to ${opts.to} was accepted (${Buffer.byteLength(raw)} bytes)`);
      } catch (err) {
        const problem = relayReason(err);
        lines.push(`FAILED     ${problem}`);
        return { ok: false, lines, problem };
      }
    }
  } finally {
    await conn.quit();
  }
  lines.push('relay OK: the workers can send through it');
  return { ok: true, lines };
}

function describe(info: SmtpSessionInfo, smtp: SmtpSettings, lines: string[]): void {
  if (info.greeting) lines.push(`greeting   ${info.greeting}`);
  if (info.tls) lines.push(`TLS        ${info.tls.protocol} ${info.tls.cipher}, certificate ${smtp.rejectUnauthorized ? `checked against ${smtp.host}` : 'NOT checked'}`);
  else if (info.greeting) lines.push('TLS        none: this connection is not encrypted');
  if (info.hello === 'HELO') lines.push('hello      the relay refused EHLO; HELO worked (no extensions: no PIPELINING, SIZE or SMTPUTF8)');
  else if (info.extensions.length > 0) {
    const has = (k: string) => info.extensions.some((e) => e.toUpperCase().split(/\s+/)[0] === k);
    lines.push(`EHLO       ${info.extensions.join(', ')}`);
    lines.push(
      `offers     SIZE ${info.maxSize > 0 ? `${info.maxSize.toLocaleString('en-US')} bytes` : has('SIZE') ? 'no fixed limit' : 'not declared'} · ` +
        `PIPELINING ${has('PIPELINING') ? 'yes' : 'no'} · SMTPUTF8 ${has('SMTPUTF8') ? 'yes' : 'no'} · ` +
        `AUTH ${info.authMethods.length > 0 ? info.authMethods.join(' ') : 'none'}`,
    );
  }
  if (info.authenticated) lines.push(`login      ${info.authenticated.user} (${info.authenticated.method})`);
  else if (info.greeting && !smtp.user) lines.push('login      none (no credentials in SMTP_URL)');
}
