import { ConfigError, parseConfig } from '../../src/config';
import { clusterNodes, sentinelsOf } from '../../src/redis';

const base = { PUBLISHER_TOKEN: 'x'.repeat(20), SECRET_KEY: 'y'.repeat(40) };

describe('scaling settings', () => {
  test('REDIS_CLUSTER_NODES becomes one cluster URL (credentials from REDIS_URL) that every process understands', () => {
    const c = parseConfig({ ...base, REDIS_URL: 'rediss://kilat:s3cret@ignored:1', REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7001,redis-3:7002' });
    expect(c.redisUrl).toBe('rediss://kilat:s3cret@10.0.0.1:7000?cluster=true&nodes=10.0.0.2:7001,redis-3:7002');
    expect(clusterNodes(c.redisUrl!)).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: 'redis-3', port: 7002 },
    ]);
    expect(clusterNodes('redis://127.0.0.1:6380')).toBeUndefined();
    expect(clusterNodes('redis://127.0.0.1:6380?cluster=true')).toEqual([{ host: '127.0.0.1', port: 6380 }]);
  });

  test('REDIS_SENTINELS and REDIS_SENTINEL_NAME become one Sentinel URL (master credentials from REDIS_URL) that forked workers read the same way', () => {
    const c = parseConfig({ ...base, REDIS_URL: 'redis://:s3cret@ignored:1', REDIS_SENTINELS: 'sentinel-1:26379,sentinel-2:26380', REDIS_SENTINEL_NAME: 'berita' });
    expect(c.redisUrl).toBe('redis://:s3cret@sentinel-1:26379?sentinel=berita&nodes=sentinel-2:26380');
    expect(sentinelsOf(c.redisUrl!)).toEqual({ name: 'berita', nodes: [{ host: 'sentinel-1', port: 26379 }, { host: 'sentinel-2', port: 26380 }] });
    // the worker a parent forks gets that URL as REDIS_URL and the same environment: the same answer
    expect(parseConfig({ ...base, REDIS_URL: c.redisUrl, REDIS_SENTINELS: 'sentinel-1:26379,sentinel-2:26380', REDIS_SENTINEL_NAME: 'berita' }).redisUrl).toBe(c.redisUrl);
    expect(sentinelsOf(parseConfig({ ...base, REDIS_SENTINELS: 's:26379' }).redisUrl!)?.name).toBe('mymaster');
    expect(sentinelsOf('redis://127.0.0.1:6380')).toBeUndefined();
    expect(parseConfig(base).redisFailoverWaitMs).toBe(15_000);
  });

  test('a Cluster has no Sentinels: setting both, or a bad list, or a failover wait out of range stops start-up', () => {
    expect(() => parseConfig({ ...base, REDIS_SENTINELS: 's:26379', REDIS_CLUSTER_NODES: 'n:7000' })).toThrow(/REDIS_SENTINELS/);
    expect(() => parseConfig({ ...base, REDIS_SENTINELS: 'sentinel-1' })).toThrow(/REDIS_SENTINELS/);
    expect(() => parseConfig({ ...base, REDIS_FAILOVER_WAIT_MS: '10' })).toThrow(/REDIS_FAILOVER_WAIT_MS/);
  });

  test('bad values stop start-up naming the variable; defaults suit the machine', () => {
    expect(() => parseConfig({ ...base, REDIS_CLUSTER_NODES: 'redis-1' })).toThrow(ConfigError);
    expect(() => parseConfig({ ...base, REDIS_CLUSTER_NODES: 'redis-1' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(() => parseConfig({ ...base, SEND_RATE_PER_SEC: '-5' })).toThrow(/SEND_RATE_PER_SEC/);
    const c = parseConfig(base);
    expect(c.sendRatePerSec).toBe(0);
    expect(c.workerProcesses).toBeGreaterThanOrEqual(1);
    expect(parseConfig({ ...base, WORKER_PROCESSES: '3', SEND_RATE_PER_SEC: '350' })).toMatchObject({ workerProcesses: 3, sendRatePerSec: 350 });
  });
});
