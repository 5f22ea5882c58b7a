import { createKeys } from '../../src/keys';
import { maskEmail } from '../../src/logger';
import { AuditLog } from '../../src/ops/audit-log';
import { startTestRedis, type TestRedis } from '../helpers/redis-server';

describe('AuditLog', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });
  const keys = createKeys('audit-test');
  const actor = { id: 'k_0123456789ab', name: 'Desk: Rina' };

  test('refuses a plain address in a target, an unknown action or origin; takes a masked address', async () => {
    const log = new AuditLog({ redis: redis.client, keys, maxEntries: 0 });
    await expect(log.record({ actor, action: 'alert.test_send', target: { to: 'rina@kilat.example' }, from: { via: 'api' } })).rejects.toThrow(/holds an address/);
    await expect(log.record({ actor, action: 'alert.test_send', target: { to: 'a***@b***.c@evil.example' }, from: { via: 'api' } })).rejects.toThrow(/holds an address/);
    await expect(log.record({ actor, action: 'alert.nuke' as never, target: {}, from: { via: 'api' } })).rejects.toThrow(/unknown audit action/);
    await expect(log.record({ actor, action: 'alert.publish', target: {}, from: { via: 'smoke-signal' as never } })).rejects.toThrow(/unknown audit via/);
    expect(await log.count()).toBe(0);
    for (const a of ['rina@kilat.example', 'ab@c.d', 'x@localhost', '+tag@example.com']) {
      await log.record({ actor, action: 'alert.test_send', target: { to: maskEmail(a) }, from: { via: 'api' } });
    }
    expect(await log.count()).toBe(4);
  });

  test('AUDIT_LOG_MAX_ENTRIES trims the oldest to about the cap; 0 keeps everything', async () => {
    const capped = new AuditLog({ redis: redis.client, keys: createKeys('audit-capped'), maxEntries: 100 });
    const open = new AuditLog({ redis: redis.client, keys: createKeys('audit-open'), maxEntries: 0 });
    for (let i = 0; i < 1000; i++) {
      await capped.record({ actor, action: 'alert.publish', target: { alertId: String(i) }, from: { via: 'cli' } });
      await open.record({ actor, action: 'alert.publish', target: { alertId: String(i) }, from: { via: 'cli' } });
    }
    // MAXLEN ~ trims whole stream nodes (100 entries each by default), so "about" the cap
    const n = await capped.count();
    expect(n).toBeGreaterThanOrEqual(100);
    expect(n).toBeLessThanOrEqual(200);
    expect((await capped.page({ limit: 1 })).entries[0]!.target).toEqual({ alertId: '999' });
    expect(await open.count()).toBe(1000);
  });
});
