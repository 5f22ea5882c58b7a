import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { maskAddressesIn } from '../logger';
import { enhancedCodeOf, type SmtpConnectionOptions, type SmtpSessionInfo, type SmtpStage } from './smtp-connection';
import { createSmtpPool } from './smtp-pool';
import type { MessageCopy } from './message-template';

export interface RawMessage {
  /** Envelope sender (bounce address) and recipient. */
  from: string;
  to: string;
  /** The message: one string, or a copy made of shared Buffers (see MessageTemplate.copy). */
  raw: string | MessageCopy;
}

export interface MailTransport {
  readonly kind: 'smtp' | 'outbox';
  send(message: RawMessage): Promise<void>;
  /** Gets ready to send (opens connections ahead of the first message); failures are ignored. */
  warm?(): Promise<void>;
  /** Opens a connection now: what the relay offers, or the error that makes it unusable. */
  verify?(): Promise<SmtpSessionInfo>;
  close(): Promise<void>;
}

/**
 * Why one recipient's send failed, sorted by who is at fault (RFC 5321 stage and RFC 3463 code):
 * only `recipient` ever changes a subscriber on its own.
 */
export type SendFailure =
  /** The address itself (5.1.x, 5.2.1, a bare 550/551/553 at RCPT): a hard bounce, suppressed, never retried. */
  | { kind: 'recipient'; code: number; message: string }
  /** The mailbox, for now (4xx at RCPT, 4.2.2 full, greylisting): retried; a soft bounce once per alert. */
  | { kind: 'mailbox'; code?: number; message: string }
  /**
   * The relay, the sender or Kilat's configuration: never counted against a recipient. `permanent`:
   * waiting will not help (a refused login, a policy rejection, a size limit); `reason` says it in plain words.
   */
  | { kind: 'relay'; permanent: boolean; code?: number; message: string; reason: string }
  /** This address cannot go through this relay (it needs SMTPUTF8, which the relay lacks): not sent, not held against anyone. */
  | { kind: 'unsendable'; message: string };

interface ErrorShape {
  stage?: SmtpStage;
  responseCode?: number;
  enhancedCode?: string;
  response?: string;
  message?: string;
  code?: string;
  permanent?: boolean;
}

// RFC 3463 codes about the recipient's address: X.1.0-6 and X.1.9-10 (X.1.7/8 are the sender's), X.2.1 disabled.
const ADDRESS_CODES = /^5\.1\.(?:[0-69]|10)$|^5\.2\.1$/;
// Temporary codes after DATA that are about the mailbox: X.2.x (full, disabled for now) and 4.7.1 (greylisting).
const MAILBOX_LATER_CODES = /^4\.2\.\d+$|^4\.7\.1$/;

export function classifySendError(err: unknown): SendFailure {
  const e = err as ErrorShape;
  const message = maskAddressesIn((e.response ?? e.message ?? String(err)).slice(0, 300));
  const code = e.responseCode;
  const enhanced = e.enhancedCode ?? (e.response ? enhancedCodeOf(e.response.replace(/^\d{3}[ -]/, '')) : undefined);
  const relay = (permanent: boolean): SendFailure => ({ kind: 'relay', permanent, code, message, reason: relayReason(e, message) });
  if (e.code === 'ESMTPUTF8' && e.stage === 'rcpt') return { kind: 'unsendable', message };
  if (e.code === 'EADDRESS' && e.stage === 'rcpt') return { kind: 'unsendable', message };
  if (e.stage === 'rcpt' && code !== undefined) {
    // 421 is the relay closing the session, whatever command it answers.
    if (code === 421) return relay(false);
    if (code >= 400 && code < 500) return { kind: 'mailbox', code, message };
    if (code >= 500) {
      if (enhanced === undefined) return code === 550 || code === 551 || code === 553 ? { kind: 'recipient', code, message } : relay(true);
      if (ADDRESS_CODES.test(enhanced)) return { kind: 'recipient', code, message };
      // 5.2.2 "mailbox full" is permanent in name only: it empties again. Anything else (5.7.x policy,
      // 5.3.4 size, 5.5.x protocol, 5.4.x routing) is the relay's or the sender's.
      if (enhanced === '5.2.2') return { kind: 'mailbox', code, message };
      return relay(true);
    }
  }
  if (e.stage === 'message' && code !== undefined && code >= 400 && code < 500 && code !== 421 && enhanced && MAILBOX_LATER_CODES.test(enhanced)) {
    return { kind: 'mailbox', code, message };
  }
  return relay(e.permanent ?? (code !== undefined && code >= 500));
}

/** What went wrong with the relay, in words an operator can act on; the reply (masked) is quoted. */
export function relayReason(err: unknown, message = maskAddressesIn((err as ErrorShape).message ?? String(err))): string {
  const e = err as ErrorShape;
  const reply = e.response ? maskAddressesIn(e.response) : undefined;
  switch (e.code) {
    case 'ETLSREQUIRED':
    case 'ETLS':
    case 'ENOAUTH':
    case 'ESIZE':
    case 'EDNS':
    case 'ETIMEDOUT':
    case 'ESMTPUTF8':
      return message;
  }
  if (!reply) return message;
  switch (e.stage) {
    case 'greeting':
      return `the relay refused the connection: ${reply}`;
    case 'ehlo':
      return `the relay refused both EHLO and HELO: ${reply} (SMTP_EHLO_NAME sets the name Kilat gives)`;
    case 'starttls':
      return `the relay refused STARTTLS: ${reply}`;
    case 'auth':
      return `the relay refused the login: ${reply}`;
    case 'mail':
      if (/STARTTLS|TLS first|encryption required/i.test(reply)) return `the relay requires TLS first: ${reply} (SMTP_TLS=none keeps Kilat from using it)`;
      if (e.responseCode === 530 || e.enhancedCode === '5.7.0' || /auth/i.test(reply)) {
        return `the relay requires a login: ${reply} (put the user name and password in SMTP_URL)`;
      }
      return `the relay refused the sender: ${reply} (check MAIL_FROM and that this relay may send for its domain)`;
    case 'rcpt':
      return `the relay refused the recipients: ${reply}`;
    case 'data':
      return `the relay refused to take the message: ${reply}`;
    case 'message':
      return `the relay refused the message after receiving it: ${reply}`;
    default:
      return message;
  }
}

export interface SmtpTransportOptions {
  connection: SmtpConnectionOptions;
  poolSize: number;
  maxMessagesPerConnection?: number;
}

/** A pooled SMTP transport: messages go out already built; the pool only speaks SMTP. */
export function createSmtpTransport(opts: SmtpTransportOptions): MailTransport {
  const pool = createSmtpPool({ connection: opts.connection, size: opts.poolSize, maxMessagesPerConnection: opts.maxMessagesPerConnection });
  return {
    kind: 'smtp',
    send: (message) => pool.send(message.from, message.to, message.raw),
    warm: async () => {
      await pool.warm(Math.min(2, opts.poolSize)).catch(() => undefined);
    },
    verify: () => pool.warm(1),
    close: () => pool.close(),
  };
}

/** Development transport: every message lands as an .eml file under `dir`, shown at /dev/outbox. */
export function createOutboxTransport(dir: string): MailTransport {
  let ready: Promise<unknown> | undefined;
  return {
    kind: 'outbox',
    async send(message) {
      ready ??= fs.mkdir(dir, { recursive: true });
      await ready;
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.eml`;
      const tmp = path.join(dir, `.${name}.tmp`);
      await fs.writeFile(tmp, typeof message.raw === 'string' ? message.raw : Buffer.concat(message.raw.chunks));
      await fs.rename(tmp, path.join(dir, name));
    },
    async close() {},
  };
}
