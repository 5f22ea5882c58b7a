import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createSmtpPool } from './smtp-pool';

export interface RawMessage {
  /** Envelope sender (bounce address) and recipient. */
  from: string;
  to: string;
  raw: string;
}

export interface MailTransport {
  readonly kind: 'smtp' | 'outbox';
  send(message: RawMessage): Promise<void>;
  /** Gets ready to send (opens connections ahead of the first message); failures are ignored. */
  warm?(): Promise<void>;
  close(): Promise<void>;
}

/** Why one recipient's send failed: decides between retry and suppression. */
export type SendFailure =
  /** 5xx: the receiving server refused this recipient for good. Never retried. */
  | { kind: 'permanent'; code: number; message: string }
  /** 4xx, a lost connection, a timeout: worth another try later. */
  | { kind: 'temporary'; code?: number; message: string };

export function classifySendError(err: unknown): SendFailure {
  const e = err as { responseCode?: number; response?: string; message?: string; code?: string };
  const message = (e.response ?? e.message ?? String(err)).slice(0, 300);
  if (typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600) {
    return { kind: 'permanent', code: e.responseCode, message };
  }
  return { kind: 'temporary', code: e.responseCode, message: e.code ? `${e.code}: ${message}` : message };
}

export interface SmtpTransportOptions {
  url: string;
  poolSize: number;
  /** Inactivity timeout on an open connection (a server stalled mid-DATA), in ms. */
  socketTimeoutMs?: number;
}

/** A pooled SMTP transport: messages go out already built; the pool only speaks SMTP. */
export function createSmtpTransport(opts: SmtpTransportOptions): MailTransport {
  const pool = createSmtpPool({ url: opts.url, size: opts.poolSize, connectTimeoutMs: 10_000, socketTimeoutMs: opts.socketTimeoutMs ?? 30_000 });
  return {
    kind: 'smtp',
    send: (message) => pool.send(message.from, message.to, message.raw),
    warm: () => pool.warm(Math.min(2, opts.poolSize)),
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
      await fs.writeFile(tmp, message.raw, 'utf8');
      await fs.rename(tmp, path.join(dir, name));
    },
    async close() {},
  };
}
