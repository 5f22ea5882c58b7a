import path from 'node:path';
import type { Config, SmtpSettings } from '../config';
import type { SmtpConnectionOptions } from './smtp-connection';
import { createOutboxTransport, createSmtpTransport, type MailTransport } from './transport';

export const outboxDir = (config: Config) => path.join(config.varDir, 'outbox');

/** The connection settings of the configured relay. */
export function smtpConnectionOptions(smtp: SmtpSettings, timeoutMs: number): SmtpConnectionOptions {
  return {
    host: smtp.host,
    port: smtp.port,
    tls: smtp.tls,
    auth: smtp.user ? { user: smtp.user, pass: smtp.pass, oauth2Token: smtp.oauth2Token } : undefined,
    name: smtp.ehloName,
    rejectUnauthorized: smtp.rejectUnauthorized,
    ca: smtp.ca,
    // The whole handshake (connect, TLS, greeting, EHLO, AUTH): a stalled one frees its pool slot.
    connectTimeoutMs: Math.min(10_000, timeoutMs),
    socketTimeoutMs: timeoutMs,
  };
}

/** SMTP when SMTP_URL is set; otherwise the development outbox. */
export function createTransportFromConfig(config: Config): MailTransport {
  if (!config.smtp) return createOutboxTransport(outboxDir(config));
  return createSmtpTransport({
    connection: smtpConnectionOptions(config.smtp, config.smtpTimeoutMs),
    poolSize: config.smtpPoolSize,
    maxMessagesPerConnection: config.smtp.maxMessagesPerConnection,
  });
}
