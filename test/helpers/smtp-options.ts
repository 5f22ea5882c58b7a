import { parseConfig } from '../../src/config';
import { smtpConnectionOptions } from '../../src/mail/create-transport';
import type { SmtpConnectionOptions } from '../../src/mail/smtp-connection';
import { PUBLISHER_TOKEN, SECRET_KEY } from './kilat';

/** Connection options for SMTP_URL (and any SMTP_* settings) exactly as a worker would derive them. */
export function smtpOptions(url: string, env: Record<string, string> = {}): SmtpConnectionOptions {
  const config = parseConfig({ NODE_ENV: 'test', SMTP_URL: url, MAIL_FROM: 'Kilat <alerts@kilat.example>', PUBLISHER_TOKEN, SECRET_KEY, ...env });
  return smtpConnectionOptions(config.smtp!, config.smtpTimeoutMs);
}
