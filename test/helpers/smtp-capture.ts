import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CapturedMessage {
  from: string;
  to: string[];
  raw: string;
  parsed: ParsedMail;
}

export interface SmtpCapture {
  url: string;
  port: number;
  messages: CapturedMessage[];
  /** Messages to one address, in arrival order. */
  to(address: string): CapturedMessage[];
  waitFor(count: number, timeoutMs?: number): Promise<CapturedMessage[]>;
  /** Decide per recipient: return an SMTP error code (e.g. 550, 451) to refuse it. */
  rejectRecipient: (address: string) => number | undefined;
  /**
   * Awaited after DATA arrives and before the server answers: a delay slows sending down, a promise
   * that never settles stalls mid-DATA (the client must time out), a rejection with `responseCode`
   * refuses the message. The message is kept only when it is accepted.
   */
  beforeAccept?: (to: string[]) => Promise<void> | void;
  /**
   * Resolves once no client is connected and every message received has been stored or refused:
   * after the senders have exited or closed their connections, nothing is left on its way here.
   */
  quiet(timeoutMs?: number): Promise<void>;
  /** SMTP sessions open right now (connected and not yet closed). */
  openConnections(): number;
  stop(): Promise<void>;
}

/** A real SMTP server (smtp-server) that keeps every message it accepts, parsed by mailparser. */
/** `port` reuses a port (a server "coming back"); `closeTimeoutMs` bounds how long stop() lets open sessions linger. */
export async function startSmtpCapture(opts: { port?: number; closeTimeoutMs?: number } = {}): Promise<SmtpCapture> {
  const messages: CapturedMessage[] = [];
  const waiters: (() => void)[] = [];
  const capture: Partial<SmtpCapture> = { messages, rejectRecipient: () => undefined };
  /** Messages whose DATA has ended and that are not yet stored or refused. */
  let receiving = 0;
  let open = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 10 * 1024 * 1024,
    ...(opts.closeTimeoutMs ? { closeTimeout: opts.closeTimeoutMs } : {}),
    onConnect(_session, callback) {
      open++;
      callback();
    },
    onClose() {
      open--;
    },
    onRcptTo(address, _session, callback) {
      const code = capture.rejectRecipient!(address.address);
      if (code) {
        const err = new Error(code >= 500 ? 'mailbox unavailable' : 'try again later') as Error & { responseCode: number };
        err.responseCode = code;
        return callback(err);
      }
      callback();
    },
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        // Counted from the final dot on (a session cut off mid-DATA never stores its message).
        receiving++;
        const callback = (err?: Error | null) => {
          receiving--;
          done(err);
        };
        const raw = Buffer.concat(chunks).toString('utf8');
        const to = session.envelope.rcptTo.map((r) => r.address);
        if (capture.beforeAccept) {
          try {
            await capture.beforeAccept(to);
          } catch (err) {
            return callback(err as Error);
          }
        }
        const parsed = await simpleParser(raw);
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to,
          raw,
          parsed,
        });
        waiters.splice(0).forEach((w) => w());
        callback();
      });
    },
  });
  // A client that dies mid-session (a killed worker) resets its socket: expected here, not a crash.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return Object.assign(capture, {
    url: `smtp://127.0.0.1:${port}`,
    port,
    to: (address: string) => messages.filter((m) => m.to.includes(address)),
    openConnections: () => open,
    async waitFor(count: number, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} message(s), got ${messages.length} after ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return messages;
    },
    async quiet(timeoutMs = 15_000) {
      // `open` counts sessions through smtp-server's own onConnect/onClose hooks.
      const deadline = Date.now() + timeoutMs;
      while (open > 0 || receiving > 0) {
        if (Date.now() > deadline) throw new Error(`SMTP server still busy after ${timeoutMs} ms: ${open} connection(s), ${receiving} message(s) being received`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as SmtpCapture;
}
