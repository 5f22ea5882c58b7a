import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, parseConfig, parseDuration } from '../../src/config';

const base = { NODE_ENV: 'test', PUBLISHER_TOKEN: 'p'.repeat(20), SECRET_KEY: 's'.repeat(40), MAIL_FROM: 'Kilat <alerts@kilat.example>' };
const pem = (bits: number) => generateKeyPairSync('rsa', { modulusLength: bits }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const fails = (env: Record<string, string>, variable: string) => {
  expect(() => parseConfig({ ...base, ...env })).toThrow(ConfigError);
  expect(() => parseConfig({ ...base, ...env })).toThrow(new RegExp(variable));
};

describe('deliverability settings', () => {
  test('defaults: no DKIM, List-Id from the sender domain, 3 soft bounces, 6 h stale guard, webhook off', () => {
    const c = parseConfig(base);
    expect(c).toMatchObject({ dkim: undefined, listId: 'breaking.kilat.example', softBounceLimit: 3, alertMaxAgeSeconds: 21600, bounceWebhookSecret: undefined, previousSecretKeys: [], replyTo: undefined });
  });

  test('ALERT_MAX_AGE takes seconds or a duration; 0 turns the guard off; nonsense names the variable', () => {
    expect(parseDuration('3600')).toBe(3600);
    expect(parseDuration('90m')).toBe(5400);
    expect(parseDuration('6h')).toBe(21600);
    expect(parseDuration('1.5h')).toBe(5400);
    expect(parseDuration('1d')).toBe(86400);
    expect(parseConfig({ ...base, ALERT_MAX_AGE: '0' }).alertMaxAgeSeconds).toBe(0);
    fails({ ALERT_MAX_AGE: 'six hours' }, 'ALERT_MAX_AGE');
    fails({ ALERT_MAX_AGE: '-1h' }, 'ALERT_MAX_AGE');
  });

  test('SECRET_KEY_PREVIOUS is a comma list of long keys', () => {
    expect(parseConfig({ ...base, SECRET_KEY_PREVIOUS: `${'a'.repeat(32)}, ${'b'.repeat(40)}` }).previousSecretKeys).toEqual(['a'.repeat(32), 'b'.repeat(40)]);
    fails({ SECRET_KEY_PREVIOUS: `${'a'.repeat(32)},short` }, 'SECRET_KEY_PREVIOUS');
  });

  test('DKIM: all three settings or none; PEM text or a file path; an RSA key of 2048 bits at least', () => {
    const key = pem(2048);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-dkim-'));
    try {
      const file = path.join(dir, 'dkim.pem');
      fs.writeFileSync(file, key);
      expect(parseConfig({ ...base, DKIM_DOMAIN: 'Kilat.example', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY: file }).dkim).toEqual({ domain: 'kilat.example', selector: 's1', privateKey: key });
      expect(parseConfig({ ...base, DKIM_DOMAIN: 'kilat.example', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY: key }).dkim?.privateKey).toBe(key);
      fails({ DKIM_DOMAIN: 'kilat.example', DKIM_SELECTOR: 's1' }, 'DKIM_PRIVATE_KEY');
      fails({ DKIM_PRIVATE_KEY: file }, 'DKIM_DOMAIN, DKIM_SELECTOR');
      fails({ DKIM_DOMAIN: 'kilat.example', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY: path.join(dir, 'missing.pem') }, 'DKIM_PRIVATE_KEY: neither PEM text nor a readable file');
      fails({ DKIM_DOMAIN: 'kilat.example', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY: pem(1024) }, 'DKIM_PRIVATE_KEY: an RSA key of at least 2048 bits');
      fails({ DKIM_DOMAIN: 'kilat.example', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----' }, 'DKIM_PRIVATE_KEY');
      fails({ DKIM_DOMAIN: 'not a domain', DKIM_SELECTOR: 's1', DKIM_PRIVATE_KEY: file }, 'DKIM_DOMAIN');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('LIST_UNSUBSCRIBE_MAILTO, LIST_ID, BOUNCE_WEBHOOK_SECRET and SOFT_BOUNCE_LIMIT are checked', () => {
    fails({ LIST_UNSUBSCRIBE_MAILTO: 'unsubscribe' }, 'LIST_UNSUBSCRIBE_MAILTO');
    fails({ LIST_ID: '<breaking news>' }, 'LIST_ID');
    fails({ BOUNCE_WEBHOOK_SECRET: 'short' }, 'BOUNCE_WEBHOOK_SECRET');
    fails({ SOFT_BOUNCE_LIMIT: '0' }, 'SOFT_BOUNCE_LIMIT');
    expect(parseConfig({ ...base, LIST_ID: 'alerts.kilat.example', LIST_UNSUBSCRIBE_MAILTO: 'unsub@kilat.example' })).toMatchObject({ listId: 'alerts.kilat.example', listUnsubscribeMailto: 'unsub@kilat.example' });
  });
});
