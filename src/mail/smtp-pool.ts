import os from 'node:os';
import { SmtpConnection, SmtpError, type SmtpConnectionOptions } from './smtp-connection';

export interface SmtpPoolOptions {
  /** smtp://[user:pass@]host[:port] (STARTTLS when offered) or smtps://… (TLS from the start). */
  url: string;
  /** Connections kept open at most. */
  size: number;
  connectTimeoutMs?: number;
  socketTimeoutMs?: number;
}

export interface SmtpPool {
  send(from: string, to: string, raw: string): Promise<void>;
  /** Opens up to `n` connections now, so the first message of the next alert does not wait for a handshake. */
  warm(n: number): Promise<void>;
  close(): Promise<void>;
}

export function smtpOptionsFromUrl(url: string, timeouts: { connectTimeoutMs?: number; socketTimeoutMs?: number } = {}): SmtpConnectionOptions {
  const u = new URL(url);
  const secure = u.protocol === 'smtps:';
  const user = decodeURIComponent(u.username);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    auth: user ? { user, pass: decodeURIComponent(u.password) } : undefined,
    name: os.hostname() || 'localhost',
    // nodemailer's URL spelling, kept so existing SMTP_URLs mean the same: ?tls.rejectUnauthorized=false
    rejectUnauthorized: u.searchParams.get('tls.rejectUnauthorized') !== 'false',
    connectTimeoutMs: timeouts.connectTimeoutMs ?? 10_000,
    socketTimeoutMs: timeouts.socketTimeoutMs ?? 30_000,
  };
}

/**
 * At most `size` open SMTP connections shared by every send of this process; a send waits for a
 * free connection, first come first served. A connection that breaks is dropped and replaced on
 * demand, so a relay restart costs the messages in flight (retried by their batch), nothing more.
 */
export function createSmtpPool(opts: SmtpPoolOptions): SmtpPool {
  const connOpts = smtpOptionsFromUrl(opts.url, opts);
  const idle: SmtpConnection[] = [];
  const waiters: { resolve: (c: SmtpConnection) => void; reject: (e: Error) => void }[] = [];
  let open = 0;
  let closed = false;

  // A connection attempt failed, so its slot is free again: a send queued behind it gets its own try
  // (and its own error while the server is down) instead of waiting for a release that never comes.
  const slotFreed = () => {
    open--;
    const next = waiters.shift();
    if (next) {
      if (closed) next.reject(new SmtpError('SMTP pool closed', undefined, undefined, 'ECONNECTION'));
      else openFor(next);
    }
  };

  const openFor = (waiter: { resolve: (c: SmtpConnection) => void; reject: (e: Error) => void }) => {
    open++;
    SmtpConnection.open(connOpts).then(waiter.resolve, (err: Error) => {
      waiter.reject(err);
      slotFreed();
    });
  };

  const acquire = (): Promise<SmtpConnection> =>
    new Promise((resolve, reject) => {
      if (closed) return reject(new SmtpError('SMTP pool closed', undefined, undefined, 'ECONNECTION'));
      while (idle.length > 0) {
        const c = idle.pop()!;
        if (!c.broken) return resolve(c);
        open--;
      }
      if (open < opts.size) openFor({ resolve, reject });
      else waiters.push({ resolve, reject });
    });

  const release = (c: SmtpConnection) => {
    if (c.broken || closed) {
      open--;
      c.destroy();
      const waiter = waiters.shift();
      if (waiter) {
        if (closed) waiter.reject(new SmtpError('SMTP pool closed', undefined, undefined, 'ECONNECTION'));
        else openFor(waiter);
      }
      return;
    }
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(c);
    else idle.push(c);
  };

  return {
    async send(from, to, raw) {
      const c = await acquire();
      try {
        await c.send(from, to, raw);
      } finally {
        release(c);
      }
    },
    async warm(n) {
      const opening: Promise<void>[] = [];
      while (open < Math.min(n, opts.size)) {
        open++;
        opening.push(
          SmtpConnection.open(connOpts).then(
            (c) => release(c),
            () => slotFreed(),
          ),
        );
      }
      await Promise.all(opening);
    },
    async close() {
      closed = true;
      for (const w of waiters.splice(0)) w.reject(new SmtpError('SMTP pool closed', undefined, undefined, 'ECONNECTION'));
      await Promise.all(idle.splice(0).map((c) => c.quit()));
    },
  };
}
