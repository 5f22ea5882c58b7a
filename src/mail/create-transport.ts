import path from 'node:path';
import type { Config } from '../config';
import { createOutboxTransport, createSmtpTransport, type MailTransport } from './transport';

export const outboxDir = (config: Config) => path.join(config.varDir, 'outbox');

/** SMTP when SMTP_URL is set; otherwise the development outbox. */
export function createTransportFromConfig(config: Config): MailTransport {
  return config.smtpUrl ? createSmtpTransport({ url: config.smtpUrl, poolSize: config.smtpPoolSize, socketTimeoutMs: config.smtpTimeoutMs }) : createOutboxTransport(outboxDir(config));
}
