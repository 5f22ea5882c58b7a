import { ConfigError, parseConfig } from '../../src/config';

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
    ['CLICK_TRACKING', 'yes', /CLICK_TRACKING/],
    // opens are not offered: asking for them says why, and what to use instead
    ['OPEN_TRACKING', 'on', /OPEN_TRACKING: only off: .*privacy proxies.*CLICK_TRACKING=on/],
  ])('a bad %s = %p stops start-up with a message naming it', (name, value, pattern) => {
    expect(() => parseConfig({ ...base, [name]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ ...base, [name]: value })).toThrow(pattern);
  });

  test('production requires every deployment value and names the missing ones', () => {
    expect(() => parseConfig({ NODE_ENV: 'production' })).toThrow(
      /REDIS_URL, SMTP_URL, PUBLIC_URL, MAIL_FROM, PUBLISHER_TOKEN, SECRET_KEY/,
    );
  });

  test('production refuses guessable secrets, naming each; random ones pass; development and tests are not held to it', () => {
    const prod = { NODE_ENV: 'production', REDIS_URL: 'redis://r', SMTP_URL: 'smtp://s', PUBLIC_URL: 'https://x', MAIL_FROM: 'K <a@b.c>' };
    const strong = { PUBLISHER_TOKEN: 'kP3v9QzL7xW2mN8rT5yB1cF6hJ4dG0sA', SECRET_KEY: 'Zr8Qm2Xv7Lp4Ws9Ny3Tb6Hc1Fd5Gk0JeUa2Io8Pq' };
    expect(parseConfig({ ...prod, ...strong }).publisherToken).toBe(strong.PUBLISHER_TOKEN);
    for (const [name, value, why] of [
      ['SECRET_KEY', 'change-me-secret-key-at-least-32-characters', /placeholder/],
      ['SECRET_KEY', 'x'.repeat(48), /about 0 bits/],
      ['SECRET_KEY', 'ab'.repeat(24), /about 48 bits/],
      ['PUBLISHER_TOKEN', 'change-me-publisher-token', /placeholder/],
      ['PUBLISHER_TOKEN', '9876098760987609', /bits of entropy/],
      ['METRICS_TOKEN', 'metrics-metrics-metrics', /bits of entropy/],
    ] as const) {
      expect(() => parseConfig({ ...prod, ...strong, [name]: value })).toThrow(new RegExp(`${name}: .*${why.source}`));
    }
    expect(parseConfig({ NODE_ENV: 'test', PUBLISHER_TOKEN: 'x'.repeat(16), SECRET_KEY: 'y'.repeat(32) }).secretKey).toBe('y'.repeat(32));
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
