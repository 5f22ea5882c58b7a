import { Router } from 'express';
import type { Registry } from 'prom-client';

/** Operations endpoints: Prometheus metrics and the OpenAPI document. */
export function opsRoutes(deps: { metrics?: Registry; openapi: () => Record<string, unknown> }): Router {
  const router = Router();
  let doc: Record<string, unknown> | undefined;
  router.get('/openapi.json', (_req, res) => {
    doc ??= deps.openapi();
    res.json(doc);
  });
  router.get('/metrics', async (_req, res) => {
    if (!deps.metrics) return void res.status(404).type('text/plain').send('metrics are not enabled\n');
    const body = await deps.metrics.metrics();
    res.type(deps.metrics.contentType).send(body);
  });
  return router;
}
