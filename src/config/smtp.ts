import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../paths';
import { invalid } from './config-error';
import type { Settings } from './schema';

/** How to reach the SMTP relay. */
export interface SmtpSettings {
  host: string;
  port: number;
  /** implicit for smtps://; otherwise SMTP_TLS or its default. */
  tls: 'implicit' | 'require' | 'opportunistic' | 'none';
  user?: string;
  pass?: string;
  /** XOAUTH2 bearer token (SMTP_OAUTH2_TOKEN), used with the user name from SMTP_URL. */
  oauth2Token?: string;
  ehloName: string;
  rejectUnauthorized: boolean;
  /** PEM text of SMTP_TLS_CA. */
  ca?: string;
  maxMessagesPerConnection: number;
  /** What start-up must say loudly (certificate checks off, cleartext credentials). */
  warnings: string[];
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1)$/i;

/**
 * SMTP_URL with the SMTP_* settings around it. Errors name the variable and never repeat the URL
 * (it holds the password). TLS: smtps:// is implicit TLS; for smtp:// SMTP_TLS, by default
 * `require` when credentials are given or the port is 587, else `opportunistic`.
 */
export function parseSmtp(e: Settings & { SMTP_URL: string }, mailFromDomain: string): SmtpSettings {
  const bad = (why: string) => invalid(`SMTP_URL: ${why}`);
  let u: URL;
  try {
    u = new URL(e.SMTP_URL);
  } catch {
    throw bad('cannot be parsed as a URL such as smtp://user:password@smtp.example.com:587 (characters such as @ : / ? # % in the user name or password must be percent-encoded: @ as %40, # as %23, / as %2F)');
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw bad('must be a URL starting with smtp:// or smtps://');
  if (!u.hostname) throw bad('names no host');
  const decode = (v: string, what: string) => {
    try {
      return decodeURIComponent(v);
    } catch {
      throw bad(`the ${what} has a % that does not start a percent-encoded character (write % itself as %25)`);
    }
  };
  const user = u.username ? decode(u.username, 'user name') : undefined;
  const pass = u.password ? decode(u.password, 'password') : undefined;
  const implicit = u.protocol === 'smtps:';
  const port = u.port ? Number(u.port) : implicit ? 465 : 587;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const credentials = Boolean(user || e.SMTP_OAUTH2_TOKEN);
  if (e.SMTP_OAUTH2_TOKEN && !user) throw invalid('SMTP_OAUTH2_TOKEN: needs the account\'s user name in SMTP_URL (smtp://user@host:587)');
  if (implicit && e.SMTP_TLS && e.SMTP_TLS !== 'require') throw invalid(`SMTP_TLS: smtps:// is TLS from the first byte; SMTP_TLS=${e.SMTP_TLS} contradicts it`);
  const tls = implicit ? 'implicit' : (e.SMTP_TLS ?? (credentials || port === 587 ? 'require' : 'opportunistic'));
  let ca: string | undefined;
  if (e.SMTP_TLS_CA) {
    try {
      ca = fs.readFileSync(path.resolve(projectRoot, e.SMTP_TLS_CA), 'utf8');
    } catch (err) {
      throw invalid(`SMTP_TLS_CA: cannot read ${e.SMTP_TLS_CA} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw invalid(`SMTP_TLS_CA: ${e.SMTP_TLS_CA} holds no PEM certificate`);
  }
  // nodemailer's URL spelling, kept so existing SMTP_URLs mean the same: ?tls.rejectUnauthorized=false
  const rejectUnauthorized = e.SMTP_TLS_REJECT_UNAUTHORIZED && u.searchParams.get('tls.rejectUnauthorized') !== 'false';
  const warnings: string[] = [];
  if (!rejectUnauthorized && tls !== 'none') {
    warnings.push(`SMTP TLS certificates are NOT checked (SMTP_TLS_REJECT_UNAUTHORIZED=false): anyone on the path to ${host} can read the mail${credentials ? ' and the password' : ''}; give a private CA in SMTP_TLS_CA instead`);
  }
  if (tls === 'none' && !LOOPBACK.test(host)) warnings.push(`SMTP_TLS=none: mail to ${host}:${port} goes unencrypted${credentials ? ', and so does the password' : ''}`);
  return {
    host,
    port,
    tls,
    user,
    pass,
    oauth2Token: e.SMTP_OAUTH2_TOKEN,
    ehloName: e.SMTP_EHLO_NAME ?? mailFromDomain,
    rejectUnauthorized,
    ca,
    maxMessagesPerConnection: e.SMTP_MAX_MESSAGES_PER_CONNECTION,
    warnings,
  };
}
