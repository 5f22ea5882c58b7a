import { Router } from 'express';
import type { Redis } from '../../redis';

export function healthRoutes(deps: { redis: Redis }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Ready only when Redis answers a PING within a second.
  router.get('/readyz', async (_req, res) => {
    const ok = await Promise.race([
      deps.redis.ping().then(
        (r) => r === 'PONG',
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(resolve, 1000, false).unref()),
    ]);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable', redis: ok ? 'up' : 'down' });
  });
  return router;
}
