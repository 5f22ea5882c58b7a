import { Router, type RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { requireBearer } from '../auth';
import { HttpError } from '../errors';
import { isLoopbackRequest } from '../loopback';

export interface OpsDeps {
  metrics?: Registry;
  openapi: () => Record<string, unknown>;
  /** METRICS_TOKEN: the bearer token /metrics asks for; without one, only loopback clients are answered. */
  metricsToken?: string;
  /** How long one rendering of /metrics is served again (a scrape costs hundreds of Redis calls). */
  metricsCacheMs?: number;
}

/** Operations endpoints: Prometheus metrics and the OpenAPI document. */
export function opsRoutes(deps: OpsDeps): Router {
  const router = Router();
  let doc: Record<string, unknown> | undefined;
  router.get('/openapi.json', (_req, res) => {
    doc ??= deps.openapi();
    res.json(doc);
  });

  const access: RequestHandler = deps.metricsToken
    ? requireBearer(deps.metricsToken, 'A valid metrics token is required (Authorization: Bearer <METRICS_TOKEN>).')
    : (req, _res, next) =>
        next(isLoopbackRequest(req) ? undefined : new HttpError(403, 'forbidden', 'Metrics are served to this machine only; set METRICS_TOKEN to scrape them from elsewhere.'));
  // One rendering at a time, served to every scrape for metricsCacheMs: a flood of scrapes costs
  // Redis what one does.
  const cacheMs = deps.metricsCacheMs ?? 5000;
  let cached: { at: number; body: string } | undefined;
  let rendering: Promise<string> | undefined;
  router.get('/metrics', access, async (_req, res) => {
    const registry = deps.metrics;
    if (!registry) return void res.status(404).type('text/plain').send('metrics are not enabled\n');
    if (!cached || Date.now() - cached.at >= cacheMs) {
      rendering ??= registry.metrics().finally(() => (rendering = undefined));
      const body = await rendering;
      cached = { at: Date.now(), body };
    }
    res.type(registry.contentType).set('Cache-Control', 'no-store').send(cached.body);
  });
  return router;
}
