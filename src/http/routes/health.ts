import { Router } from 'express';
import type { Redis } from '../../redis';
import { redisAnswers } from '../../redis-health';

export function healthRoutes(deps: { redis: Redis }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Ready only when Redis answers within a second: on a Cluster, every master that owns slots
  // (a killed master makes it 503 until its replica is promoted), see redis-health.ts.
  router.get('/readyz', async (_req, res) => {
    const ok = await redisAnswers(deps.redis, 1000);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable', redis: ok ? 'up' : 'down' });
  });
  return router;
}
