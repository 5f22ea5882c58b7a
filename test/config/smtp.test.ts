import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, parseConfig } from '../../src/config';

const base = { PUBLISHER_TOKEN: 'a-publisher-token-of-length', SECRET_KEY: 'k'.repeat(32), MAIL_FROM: 'Kilat <alerts@berita.example>' };
const smtp = (env: Record<string, string>) => parseConfig({ ...base, ...env }).smtp!;

describe('SMTP settings', () => {
  test.each([
    ['credentials', 'smtp://user:pass@relay.example:2525', 'require'],
    ['port 587', 'smtp://relay.example:587', 'require'],
    ['the default port (587)', 'smtp://relay.example', 'require'],
    ['neither', 'smtp://relay.example:25', 'opportunistic'],
    ['smtps://', 'smtps://user:pass@relay.example', 'implicit'],
  ])('TLS by default with %s: %s -> %s', (_what, url, mode) => {
    expect(smtp({ SMTP_URL: url }).tls).toBe(mode);
  });

  test('credentials with any characters, percent-encoded, arrive decoded', () => {
    const pass = 'p@ss:w/rd#%?& ü';
    const s = smtp({ SMTP_URL: `smtp://${encodeURIComponent('kilat@berita.example')}:${encodeURIComponent(pass)}@relay.example:587` });
    expect(s).toMatchObject({ user: 'kilat@berita.example', pass, host: 'relay.example', port: 587 });
  });

  test.each([
    ['an unencoded # in the password', 'smtp://user:pa#ss@relay.example:587', /SMTP_URL: cannot be parsed as a URL .*# as %23/],
    ['a stray %', 'smtp://user:100%@relay.example:587', /SMTP_URL: the password has a % that does not start a percent-encoded character/],
    ['another scheme', 'http://relay.example', /SMTP_URL: must be a URL starting with smtp:\/\/ or smtps:\/\//],
  ])('an SMTP_URL with %s stops start-up naming SMTP_URL, never echoing the password', (_what, url, message) => {
    expect(() => smtp({ SMTP_URL: url })).toThrow(ConfigError);
    expect(() => smtp({ SMTP_URL: url })).toThrow(message);
    try {
      smtp({ SMTP_URL: url });
    } catch (err) {
      expect((err as Error).message).not.toMatch(/pa#ss|100%/);
    }
  });

  test('EHLO name: SMTP_EHLO_NAME, else the MAIL_FROM domain', () => {
    expect(smtp({ SMTP_URL: 'smtp://relay.example' }).ehloName).toBe('berita.example');
    expect(smtp({ SMTP_URL: 'smtp://relay.example', SMTP_EHLO_NAME: 'mail.berita.example' }).ehloName).toBe('mail.berita.example');
    expect(() => smtp({ SMTP_URL: 'smtp://relay.example', SMTP_EHLO_NAME: 'bad name' })).toThrow(/SMTP_EHLO_NAME/);
  });

  test('start-up warnings: certificate checks off, cleartext to a remote relay; none for loopback', () => {
    expect(smtp({ SMTP_URL: 'smtp://u:p@relay.example', SMTP_TLS_REJECT_UNAUTHORIZED: 'false' }).warnings).toEqual([
      expect.stringMatching(/^SMTP TLS certificates are NOT checked \(SMTP_TLS_REJECT_UNAUTHORIZED=false\): anyone on the path to relay\.example can read the mail and the password/),
    ]);
    expect(smtp({ SMTP_URL: 'smtp://u:p@relay.example', SMTP_TLS: 'none' }).warnings).toEqual(['SMTP_TLS=none: mail to relay.example:587 goes unencrypted, and so does the password']);
    expect(smtp({ SMTP_URL: 'smtp://127.0.0.1:2525', SMTP_TLS: 'none' }).warnings).toEqual([]);
    // nodemailer's spelling in the URL still works, and warns the same
    expect(smtp({ SMTP_URL: 'smtp://relay.example:25?tls.rejectUnauthorized=false' })).toMatchObject({ rejectUnauthorized: false, warnings: [expect.stringMatching(/NOT checked/)] });
  });

  test('SMTP_TLS_CA is read at start-up; a missing or non-PEM file stops it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-ca-cfg-'));
    try {
      const pem = path.join(dir, 'ca.pem');
      fs.writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      expect(smtp({ SMTP_URL: 'smtp://relay.example', SMTP_TLS_CA: pem }).ca).toContain('BEGIN CERTIFICATE');
      expect(() => smtp({ SMTP_URL: 'smtp://relay.example', SMTP_TLS_CA: path.join(dir, 'nope.pem') })).toThrow(/SMTP_TLS_CA: cannot read .*nope\.pem \(ENOENT\)/);
      fs.writeFileSync(path.join(dir, 'text.pem'), 'not a certificate');
      expect(() => smtp({ SMTP_URL: 'smtp://relay.example', SMTP_TLS_CA: path.join(dir, 'text.pem') })).toThrow(/SMTP_TLS_CA: .* holds no PEM certificate/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('XOAUTH2 needs the user name in SMTP_URL; smtps:// contradicts SMTP_TLS=none', () => {
    expect(smtp({ SMTP_URL: 'smtp://kilat@smtp.gmail.com:587', SMTP_OAUTH2_TOKEN: 'ya29.x' })).toMatchObject({ user: 'kilat', oauth2Token: 'ya29.x', tls: 'require' });
    expect(() => smtp({ SMTP_URL: 'smtp://smtp.gmail.com:587', SMTP_OAUTH2_TOKEN: 'ya29.x' })).toThrow(/SMTP_OAUTH2_TOKEN: needs the account's user name in SMTP_URL/);
    expect(() => smtp({ SMTP_URL: 'smtps://relay.example', SMTP_TLS: 'none' })).toThrow(/SMTP_TLS: smtps:\/\/ is TLS from the first byte/);
  });
});
