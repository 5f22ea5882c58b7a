import { ConfigError, parseConfig } from '../src/config';

const base = { PUBLISHER_TOKEN: 'a-publisher-token-of-length', SECRET_KEY: 'k'.repeat(32) };

describe('configuration', () => {
  test('defaults give a working development setup', () => {
    const c = parseConfig(base);
    expect(c.port).toBe(3000);
    expect(c.defaultLocale).toBe('id');
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.keyPrefix).toBe('kilat');
  });

  test.each([
    ['PORT', 'eighty', /PORT/],
    ['PORT', '70000', /PORT/],
    ['REDIS_URL', 'localhost:6379', /REDIS_URL/],
    ['SMTP_URL', 'http://mail', /SMTP_URL/],
    ['PUBLIC_URL', 'ftp://x', /PUBLIC_URL/],
    ['DEFAULT_LOCALE', 'fr', /DEFAULT_LOCALE/],
    ['SECRET_KEY', 'short', /SECRET_KEY/],
    ['KEY_PREFIX', 'kil{at}', /KEY_PREFIX/],
    ['TIME_ZONE', 'Mars/Olympus', /TIME_ZONE/],
  ])('a bad %s = %p stops start-up with a message naming it', (name, value, pattern) => {
    expect(() => parseConfig({ ...base, [name]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ ...base, [name]: value })).toThrow(pattern);
  });

  test('production requires every deployment value and names the missing ones', () => {
    expect(() => parseConfig({ NODE_ENV: 'production' })).toThrow(
      /REDIS_URL, SMTP_URL, PUBLIC_URL, MAIL_FROM, PUBLISHER_TOKEN, SECRET_KEY/,
    );
  });

  test('development without secrets takes the generated ones, production never does', () => {
    const dev = parseConfig({}, () => ({ publisherToken: 'generated-token-123456', secretKey: 'g'.repeat(40) }));
    expect(dev.publisherToken).toBe('generated-token-123456');
    expect(() =>
      parseConfig(
        { NODE_ENV: 'production', REDIS_URL: 'redis://r', SMTP_URL: 'smtp://s', PUBLIC_URL: 'https://x', MAIL_FROM: 'K <a@b.c>' },
        () => ({ publisherToken: 'generated-token-123456', secretKey: 'g'.repeat(40) }),
      ),
    ).toThrow(/PUBLISHER_TOKEN, SECRET_KEY/);
  });
});
