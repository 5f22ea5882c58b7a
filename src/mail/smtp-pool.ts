import type { MessageCopy } from './message-template';
import { SmtpConnection, SmtpError, type SmtpConnectionOptions, type SmtpSessionInfo } from './smtp-connection';

export interface SmtpPoolOptions {
  connection: SmtpConnectionOptions;
  /** Connections kept open at most. */
  size: number;
  /** Messages per connection before it is closed with QUIT and replaced (nodemailer's pool: 100). */
  maxMessagesPerConnection?: number;
}

export interface SmtpPool {
  send(from: string, to: string, raw: string | MessageCopy): Promise<void>;
  /**
   * Opens up to `n` connections now, so the first message of the next alert does not wait for a
   * handshake. Resolves with what the first connection learnt about the relay, or rejects with why
   * no connection could be opened.
   */
  warm(n: number): Promise<SmtpSessionInfo>;
  close(): Promise<void>;
}

type Waiter = { resolve: (c: SmtpConnection) => void; reject: (e: Error) => void };

const closedError = () => new SmtpError('SMTP pool closed', { stage: 'connect', code: 'ECONNECTION' });

/**
 * At most `size` open SMTP connections shared by every send of this process; a send waits for a
 * free connection, first come first served. How it treats a relay:
 *  - until one connection has opened, it tries one at a time, and when that attempt fails every send
 *    waiting behind it fails with the same error: a wrong password costs one login, not one per message;
 *  - a relay that refuses extra connections (421 at the greeting while others are open) shrinks the
 *    pool to what it accepts; the sends wait for the open connections instead of failing;
 *  - a connection is closed with QUIT after `maxMessagesPerConnection` messages, and sooner when the
 *    relay has shown it ends sessions earlier (then the pool keeps under that count);
 *  - a message whose connection dropped (or said 421) before the relay answered is sent once more on
 *    another connection instead of failing; so is one over the size limit the connection learnt, on a
 *    new connection (the relay's limit may have been raised since).
 */
export function createSmtpPool(opts: SmtpPoolOptions): SmtpPool {
  const idle: SmtpConnection[] = [];
  const waiters: Waiter[] = [];
  let limit = opts.size;
  let perConnection = opts.maxMessagesPerConnection ?? 100;
  // Connections open or being opened.
  let open = 0;
  let opening = 0;
  // A connection opened since the last failed attempt: more may be opened side by side.
  let proven = false;
  let closed = false;

  const canOpen = () => open < limit && (proven || opening === 0);

  // An idle connection first: a waiter put back after the relay refused an extra connection must get
  // one that is already open, or it waits for ever beside it.
  const kick = () => {
    while (waiters.length > 0 && idle.length > 0) {
      const c = idle.pop()!;
      if (c.broken) open--;
      else waiters.shift()!.resolve(c);
    }
    while (waiters.length > 0 && canOpen()) openFor(waiters.shift()!);
  };

  const failAll = (err: Error) => {
    for (const w of waiters.splice(0)) w.reject(err);
  };

  const openFor = (waiter: Waiter) => {
    open++;
    opening++;
    SmtpConnection.open(opts.connection).then(
      (c) => {
        opening--;
        proven = true;
        if (closed) {
          open--;
          void c.quit();
          return waiter.reject(closedError());
        }
        waiter.resolve(c);
        kick();
      },
      (err: Error) => {
        opening--;
        open--;
        if (closed) return waiter.reject(closedError());
        if (open > 0) {
          // Other connections are up: a relay that refuses an extra one caps the pool there; the send
          // waits for one of the open connections.
          if (refusedAtGreeting(err)) limit = Math.max(1, open);
          waiters.unshift(waiter);
          kick();
          return;
        }
        proven = false;
        waiter.reject(err);
        failAll(err);
      },
    );
  };

  const acquire = (): Promise<SmtpConnection> =>
    new Promise((resolve, reject) => {
      if (closed) return reject(closedError());
      while (idle.length > 0) {
        const c = idle.pop()!;
        if (!c.broken) return resolve(c);
        open--;
      }
      if (canOpen() && waiters.length === 0) openFor({ resolve, reject });
      else {
        waiters.push({ resolve, reject });
        kick();
      }
    });

  const release = (c: SmtpConnection) => {
    if (c.broken || closed || c.delivered >= perConnection) {
      open--;
      if (c.broken || closed) {
        if (!c.closing) c.destroy();
      } else void c.quit();
      if (closed) failAll(closedError());
      else kick();
      return;
    }
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(c);
    else idle.push(c);
  };

  return {
    async send(from, to, raw) {
      for (let attempt = 1; ; attempt++) {
        const c = await acquire();
        try {
          await c.send(from, to, raw);
          return;
        } catch (err) {
          if (!(err instanceof SmtpError) || !err.resendable || attempt > 1) throw err;
          // A limit learnt at EHLO may be stale (the relay's was raised): ask a new connection.
          if (err.code === 'ESIZE') {
            for (const stale of idle.splice(0)) {
              open--;
              void stale.quit();
            }
          }
          // The relay ended the session at the start of a message after accepting some: that is its
          // per-connection limit, so later connections stop short of it.
          if (err.stage === 'mail' && c.delivered > 0) perConnection = Math.min(perConnection, c.delivered);
        } finally {
          release(c);
        }
      }
    },
    async warm(n) {
      const first = await acquire();
      const info = first.info;
      // Each one goes back as soon as it is had: holding them until all are open waited for ever on a
      // relay that takes fewer connections than `n`, with every send queued behind.
      const more: Promise<void>[] = [];
      for (let i = 1; i < Math.min(n, limit); i++) more.push(acquire().then(release));
      release(first);
      await Promise.allSettled(more);
      return info;
    },
    async close() {
      closed = true;
      failAll(closedError());
      await Promise.all(idle.splice(0).map((c) => c.quit()));
    },
  };
}

/** The relay turned the connection away before or at its greeting (a connection limit), not about our login or TLS. */
function refusedAtGreeting(err: Error): boolean {
  if (!(err instanceof SmtpError)) return false;
  if (err.stage === 'greeting') return err.responseCode === undefined || (err.responseCode >= 400 && err.responseCode < 500);
  return false;
}
