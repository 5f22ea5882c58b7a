import fs from 'node:fs';
import path from 'node:path';
import type { Router } from 'express';
import { ROUTES } from '../../src/http/openapi';
import { bearer, linkIn, postJson, waitUntil, type Kilat } from '../helpers/kilat';
import { waitForDrained } from '../helpers/queue-waits';
import { useKilat } from '../helpers/use-kilat';

const seed = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'seed-article.json'), 'utf8'));

/** Every (method, path) the express app answers, found by walking its router stack. */
function appRoutes(app: { router: Router }): string[] {
  const out: string[] = [];
  const walk = (stack: any[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) out.push(`${method} ${prefix}${layer.route.path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, prefix + (layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : ''));
      }
    }
  };
  walk((app.router as any).stack, '');
  return out.map((r) => r.replace(/:(\w+)/g, '{$1}'));
}

describe('preview, test send, OpenAPI and metrics', () => {
  const k = useKilat();

  test('preview renders the alert for every locale, with working-looking links, and sends nothing', async () => {
    const res = await postJson(`${k.baseUrl}/api/articles/preview`, seed, bearer);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['en', 'id']);
    expect(res.body.id.subject).toBe(seed.title);
    expect(res.body.id.html).toContain('BERITA TERKINI');
    expect(res.body.en.html).toContain('BREAKING NEWS');
    expect(res.body.en.text).toContain('Kepala pertahanan Tiongkok');
    expect(res.body.id.html).toContain(`${k.baseUrl}/unsubscribe?token=preview`);
    expect(res.body.id.html).not.toContain('%%');
    // Had the preview queued anything, it would have been sent before the queues drained.
    await waitForDrained(k);
    expect(k.smtp.messages).toHaveLength(0);
    expect(await k.redis.client.llen(k.api.core.keys.recentAlerts())).toBe(0);
  });

  test('preview and test-send refuse bad input and a missing token', async () => {
    expect((await postJson(`${k.baseUrl}/api/articles/preview`, seed)).status).toBe(401);
    const bad = await postJson(`${k.baseUrl}/api/articles/preview`, { ...seed, colour: 'red' }, bearer);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    const badTo = await postJson(`${k.baseUrl}/api/articles/test-send`, { to: 'nobody', article: seed }, bearer);
    expect(badTo.status).toBe(400);
    expect(badTo.body.error.message).toContain('to:');
    const notJson = await fetch(`${k.baseUrl}/api/articles/preview`, { method: 'POST', headers: bearer, body: 'x' });
    expect(notJson.status).toBe(415);
  });

  test('test-send mails exactly one copy, built like the real alert, to the given address', async () => {
    const res = await postJson(`${k.baseUrl}/api/articles/test-send`, { to: 'Editor@Kilat.example', locale: 'en', article: seed }, bearer);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'sent', to: 'editor@kilat.example' });
    const [m] = await k.smtp.waitFor(1);
    expect(m!.to).toEqual(['editor@kilat.example']);
    expect(m!.parsed.subject).toBe(`[TEST] ${seed.title}`);
    expect(m!.parsed.text).toContain('BREAKING NEWS');
    expect(m!.raw).toMatch(/^List-Unsubscribe: <http:\/\/127\.0\.0\.1:\d+\/unsubscribe\?token=preview>\r$/m);
    k.smtp.rejectRecipient = (a) => (a === 'bounce@kilat.example' ? 550 : undefined);
    const refused = await postJson(`${k.baseUrl}/api/articles/test-send`, { to: 'bounce@kilat.example', article: seed }, bearer);
    expect(refused.status).toBe(502);
    expect(refused.body.error.code).toBe('send_failed');
    k.smtp.rejectRecipient = () => undefined;
  });

  test('/openapi.json is OpenAPI 3.1, generated from the validating schemas, and matches the routes both ways', async () => {
    const res = await fetch(`${k.baseUrl}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    // the article schema is the one the route enforces: strict, with the topics of this deployment
    const article = doc.components.schemas.article;
    expect(article.additionalProperties).toBe(false);
    expect(article.required).toEqual(expect.arrayContaining(['title', 'body']));
    expect(article.properties.topics.items.enum).toEqual(k.config.topics);
    expect(article.properties.breaking.type).toBe('boolean');
    expect(doc.components.schemas.subscription.properties.email.type).toBe('string');

    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m} ${p}`))
      .sort();
    // Browser-only admin pages and the development outbox are not part of the API document.
    const served = [...new Set(appRoutes(k.api.app as any))].filter((r) => !r.includes('/dev/') && !r.startsWith('get /admin') && !r.startsWith('post /admin')).sort();
    expect(documented).toEqual(served);
    expect(ROUTES.length).toBe(documented.length);

    // and each documented JSON request schema is what the route enforces: an unknown field is a 400 there
    for (const r of ROUTES.filter((x) => x.request)) {
      // Path parameters get a well-formed value: the body is checked before anything is looked up.
      const url = `${k.baseUrl}${r.path.replace(/\{\w+\}/g, '1')}`;
      const out = await fetch(url, { method: r.method.toUpperCase(), headers: { 'content-type': 'application/json', ...(r.scope ? bearer : {}) }, body: JSON.stringify({ unexpected: true }) });
      expect([r.method, r.path, out.status]).toEqual([r.method, r.path, 400]);
    }
  });

  test('/metrics reports sends, latency, queue depths, alerts by state and publish-to-90%', async () => {
    await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'ani@contoh.co.id', locale: 'id' });
    await postJson(`${k.baseUrl}/api/subscriptions`, { email: 'budi@contoh.co.id', locale: 'id' });
    await waitUntil(async () => k.smtp.to('budi@contoh.co.id').length === 1 && k.smtp.to('ani@contoh.co.id').length === 1, 10_000, 'confirmations');
    for (const a of ['ani@contoh.co.id', 'budi@contoh.co.id']) await fetch(linkIn(k.smtp.to(a)[0]!.parsed.text, 'confirm'));
    const published = await postJson(`${k.baseUrl}/api/articles`, seed, bearer);
    const id = published.body.alertId;
    await waitUntil(async () => (await k.api.core.alerts.status(id))?.state === 'completed', 10_000, 'alert completed');
    const metrics = await waitUntil(async () => {
      const text = await (await fetch(`${k.baseUrl}/metrics`)).text();
      return /kilat_alert_publish_to_90pct_seconds_count 1/.test(text) && /kilat_emails_sent_total 2/.test(text) ? text : undefined;
    }, 10_000, 'metrics flushed');
    expect(metrics).toMatch(/^kilat_alerts\{state="completed"\} 1$/m);
    expect(metrics).toMatch(/^kilat_emails_failed_total 0$/m);
    expect(metrics).toMatch(/^kilat_send_latency_seconds_count 2$/m);
    expect(metrics).toMatch(/^kilat_send_latency_seconds_bucket\{le="\+Inf"\} 2$/m);
    expect(metrics).toMatch(/^kilat_queue_jobs\{queue="alert-send",state="waiting"\} 0$/m);
    expect(metrics).toMatch(/^kilat_queue_jobs\{queue="confirmations",state="failed"\} 0$/m);
    // the delivery curve holds both sends
    const curve = await k.redis.client.hgetall(k.api.core.keys.alertCurve(id));
    expect(Object.values(curve).reduce((n, v) => n + Number(v), 0)).toBe(2);
  });
});
