import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server that only counts: deliveries per recipient, no parsing, no storage of bodies.
 * For load runs where mailparser on every message would make the test process the bottleneck.
 */
export interface SmtpCounter {
  url: string;
  /** Accepted deliveries per recipient address. */
  deliveries: Map<string, number>;
  total(): number;
  stop(): Promise<void>;
}

export async function startSmtpCounter(): Promise<SmtpCounter> {
  const deliveries = new Map<string, number>();
  let total = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 10 * 1024 * 1024,
    closeTimeout: 500,
    onData(stream, session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        for (const r of session.envelope.rcptTo) deliveries.set(r.address, (deliveries.get(r.address) ?? 0) + 1);
        total += session.envelope.rcptTo.length;
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    deliveries,
    total: () => total,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
