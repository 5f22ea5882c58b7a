import pino from 'pino';
import { ConfigError, parseConfig } from '../../src/config';
import { startApi, type ApiServer } from '../../src/server';
import { postForm } from '../helpers/forms';
import { postJson, startKilat, type Kilat } from '../helpers/kilat';
import { waitForDrained } from '../helpers/queue-waits';
import { storedAddresses } from '../helpers/stored-subscribers';

const PER_IP = 5;
const PER_ADDRESS = 2;

describe('abuse limits on sign-up (per IP per hour, per address per day), shared through Redis', () => {
  let k: Kilat;
  let second: ApiServer;
  beforeAll(async () => {
    // TRUST_PROXY lets each test speak from its own client address via X-Forwarded-For.
    k = await startKilat({ env: { SIGNUP_LIMIT_PER_IP: String(PER_IP), CONFIRM_LIMIT_PER_ADDRESS: String(PER_ADDRESS), TRUST_PROXY: 'true' } });
    second = await startApi({ ...k.config, port: 0 }, pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await second.close();
    await k.stop();
  });

  const signupJson = (base: string, email: string, ip?: string) =>
    postJson(`${base}/api/subscriptions`, { email }, ip ? { 'x-forwarded-for': ip } : {});
  const signupForm = (email: string, ip: string) =>
    postForm(`${k.baseUrl}/subscribe`, { email }, { pageUrl: `${k.baseUrl}/`, headers: { 'x-forwarded-for': ip, accept: 'text/html' } });

  test('one IP gets SIGNUP_LIMIT_PER_IP attempts an hour across both API processes, then 429 with Retry-After', async () => {
    const ip = '203.0.113.7';
    const secondBase = `http://127.0.0.1:${second.port}`;
    for (let i = 0; i < PER_IP; i++) {
      const res = await signupJson(i % 2 === 0 ? k.baseUrl : secondBase, `ip-a${i}@contoh.co.id`, ip);
      expect(res.status).toBe(202);
    }
    for (const base of [k.baseUrl, secondBase]) {
      const res = await signupJson(base, 'ip-over@contoh.co.id', ip);
      expect(res.status).toBe(429);
      expect(res.body.error.code).toBe('rate_limited');
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(3000);
      expect(retryAfter).toBeLessThanOrEqual(3600);
    }
    // the HTML form shares the limit and answers with a readable page
    const form = await signupForm('ip-form@contoh.co.id', ip);
    expect(form.status).toBe(429);
    expect(form.headers.get('content-type')).toMatch(/text\/html/);
    expect(form.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await form.text()).toContain('Too many sign-up attempts');
    // another client is not affected
    expect((await signupJson(k.baseUrl, 'ip-other@contoh.co.id', '198.51.100.9')).status).toBe(202);
    // nothing was stored for the refused attempts
    const stored = await storedAddresses(k.api.core.subscribers);
    expect(stored).toContain('ip-other@contoh.co.id');
    expect(stored).not.toContain('ip-over@contoh.co.id');
    expect(stored).not.toContain('ip-form@contoh.co.id');
  });

  test('a client cannot rotate fake addresses past the limit: only the hop the trusted proxy added counts', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= PER_IP; i++) {
      // What a client sends through one proxy: its own made-up entries, then the address the proxy saw.
      statuses.push((await signupJson(k.baseUrl, `rotate${i}@contoh.co.id`, `10.9.${i}.1, 198.51.100.${i + 1}, 203.0.113.50`)).status);
    }
    expect(statuses).toEqual([...Array(PER_IP).fill(202), 429]);
  });

  test('IPv6 clients are counted by their /64', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= PER_IP; i++) statuses.push((await signupJson(k.baseUrl, `six${i}@contoh.co.id`, `2001:db8:77:1::${(i + 1).toString(16)}`)).status);
    expect(statuses).toEqual([...Array(PER_IP).fill(202), 429]);
    // another /64 is another client
    expect((await signupJson(k.baseUrl, 'six-other@contoh.co.id', '2001:db8:77:2::1')).status).toBe(202);
  });

  test('a huge forwarded address makes no huge Redis key', async () => {
    const res = await signupJson(k.baseUrl, 'long-ip@contoh.co.id', 'x'.repeat(8000));
    expect(res.status).toBe(202);
    const keys = await k.redis.client.keys('*');
    expect(Math.max(...keys.map((key) => key.length))).toBeLessThan(120);
  });

  test('loopback is not exempt by itself', async () => {
    const fromLoopback = async (i: number) => postJson(`http://127.0.0.1:${second.port}/api/subscriptions`, { email: `loop${i}@contoh.co.id` });
    const statuses: number[] = [];
    for (let i = 0; i <= PER_IP; i++) statuses.push((await fromLoopback(i)).status);
    expect(statuses).toEqual([...Array(PER_IP).fill(202), 429]);
  });

  test('subscription bombing: one victim gets at most CONFIRM_LIMIT_PER_ADDRESS confirmation emails a day, from any number of IPs', async () => {
    const victim = 'korban@contoh.co.id';
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const email = i % 3 === 0 ? victim.toUpperCase() : victim; // case variants are the same address
      statuses.push((await signupJson(k.baseUrl, email, `192.0.2.${i + 1}`)).status);
    }
    expect(statuses.slice(0, PER_ADDRESS)).toEqual(Array(PER_ADDRESS).fill(202));
    expect(statuses.slice(PER_ADDRESS)).toEqual(Array(12 - PER_ADDRESS).fill(429));
    const over = await signupJson(k.baseUrl, victim, '192.0.2.200');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(23 * 3600);
    await k.smtp.waitFor(1);
    // Every confirmation the API queued has been sent: a fourth would be at the SMTP server now.
    await waitForDrained(k);
    expect(k.smtp.to(victim)).toHaveLength(PER_ADDRESS);
    // the counter's key names no address
    const keys = await k.redis.client.keys('kilat:rl:*');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join(' ')).not.toContain('korban');
  });
});

describe('limit settings', () => {
  const base = { NODE_ENV: 'test', PUBLISHER_TOKEN: 'x'.repeat(16), SECRET_KEY: 'y'.repeat(32) };
  test('defaults a real site would use, 0 means no limit, nonsense stops the process naming the variable', () => {
    expect(parseConfig(base)).toMatchObject({ signupLimitPerIp: 20, confirmLimitPerAddress: 3 });
    expect(parseConfig({ ...base, SIGNUP_LIMIT_PER_IP: '0', CONFIRM_LIMIT_PER_ADDRESS: '0' })).toMatchObject({ signupLimitPerIp: 0, confirmLimitPerAddress: 0 });
    expect(() => parseConfig({ ...base, SIGNUP_LIMIT_PER_IP: 'lots' })).toThrow(ConfigError);
    expect(() => parseConfig({ ...base, SIGNUP_LIMIT_PER_IP: 'lots' })).toThrow(/SIGNUP_LIMIT_PER_IP/);
    expect(() => parseConfig({ ...base, CONFIRM_LIMIT_PER_ADDRESS: '-1' })).toThrow(/CONFIRM_LIMIT_PER_ADDRESS/);
  });

  test('TRUST_PROXY takes express trust-proxy values; true is one hop, never "every hop"', () => {
    expect(parseConfig(base).trustProxy).toBe(false);
    expect(parseConfig({ ...base, TRUST_PROXY: 'true' }).trustProxy).toBe(1);
    expect(parseConfig({ ...base, TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(parseConfig({ ...base, TRUST_PROXY: 'loopback,10.0.0.0/8, 2001:db8::1' }).trustProxy).toBe('loopback, 10.0.0.0/8, 2001:db8::1');
    expect(() => parseConfig({ ...base, TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
    expect(() => parseConfig({ ...base, TRUST_PROXY: '10.0.0.0/99' })).toThrow(/TRUST_PROXY/);
  });
});
