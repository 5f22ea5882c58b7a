import { z } from 'zod';
import type { Config } from '../config';
import type { Scope } from '../ops/api-keys';
import type { ApiSchemas } from './api-schemas';
import { AUDIENCE_ROUTES } from './openapi-audience';

type SchemaName = keyof ApiSchemas;

interface Response {
  description: string;
  schema?: SchemaName;
  /** Non-JSON answers (pages, metrics). */
  contentType?: string;
}

/** One documented route. Paths use OpenAPI's `{param}` form. */
export interface RouteDoc {
  method: 'get' | 'post' | 'patch' | 'options';
  path: string;
  summary: string;
  tag: string;
  /** The API key scope(s) the route needs (any one of them; `admin` always does). */
  scope?: Scope[];
  request?: SchemaName;
  /** Form fields for browser routes (application/x-www-form-urlencoded). */
  form?: boolean;
  query?: string[];
  responses: Record<string, Response>;
}

const page = (description: string): Response => ({ description, contentType: 'text/html' });
const err = (description: string): Response => ({ description, schema: 'error' });

/** The public routes. A test walks the express app and checks it matches this list both ways. */
export const ROUTES: RouteDoc[] = [
  { method: 'get', path: '/', tag: 'pages', summary: 'Sign-up page', query: ['lang'], responses: { 200: page('Sign-up form') } },
  {
    method: 'post', path: '/subscribe', tag: 'pages', form: true, summary: "Sign-up form post (double opt-in): Kilat's own page (CSRF token) or the plain HTML embed from an EMBED_ORIGINS site (Origin/Referer checked; optional redirect to a page there)",
    responses: { 200: page('Check your inbox'), 303: { description: 'Embed with a redirect: back to that page', contentType: 'text/html' }, 400: page('Form with the error, or a redirect off EMBED_ORIGINS'), 403: page('CSRF token missing, a site not on EMBED_ORIGINS, or the challenge not solved') },
  },
  { method: 'get', path: '/embed', tag: 'embed', query: ['lang', 'topics', 'accent', 'bg', 'text', 'source'], summary: 'Compact sign-up page for an iframe (framable by EMBED_ORIGINS only); posts its height to the parent', responses: { 200: page('Sign-up form') } },
  { method: 'post', path: '/embed', tag: 'embed', form: true, query: ['lang', 'accent', 'bg', 'text'], summary: 'The framed sign-up form post', responses: { 200: page('Check your inbox'), 400: page('Form with the error'), 403: page('Sent from a page that is neither Kilat nor on EMBED_ORIGINS, or the challenge not solved') } },
  { method: 'get', path: '/embed.js', tag: 'embed', summary: 'The sign-up box script: renders into <div data-kilat-signup> and posts to /api/subscriptions', responses: { 200: { description: 'JavaScript, under 5 KB gzipped', contentType: 'text/javascript' } } },
  { method: 'get', path: '/confirm', tag: 'pages', query: ['token'], summary: 'Confirm a subscription', responses: { 200: page('Confirmed'), 400: page('Invalid link') } },
  { method: 'get', path: '/unsubscribe', tag: 'pages', query: ['token'], summary: 'Ask before unsubscribing', responses: { 200: page('Confirmation button'), 400: page('Invalid link') } },
  { method: 'post', path: '/unsubscribe', tag: 'pages', form: true, query: ['token'], summary: 'Unsubscribe (RFC 8058 one-click)', responses: { 200: page('Unsubscribed'), 400: page('Invalid link') } },
  {
    method: 'get', path: '/r/{token}', tag: 'pages', summary: "A reader's tracked \"Read more\" link (CLICK_TRACKING=on): redirects to the article of the alert the signed token names, never anywhere else; counts the click (unique per reader, at most 3 per reader in the total; HEAD and prefetches not counted)",
    responses: { 302: { description: "Location: the alert's own article URL", contentType: 'text/html' }, 400: page('Tampered, foreign or malformed token'), 404: page('The alert has no article'), 410: page('Expired link: a page with the article link, nothing counted') },
  },
  { method: 'get', path: '/preferences', tag: 'pages', query: ['token'], summary: 'Preferences form', responses: { 200: page('Preferences'), 400: page('Invalid link') } },
  { method: 'post', path: '/preferences', tag: 'pages', form: true, query: ['token'], summary: 'Save preferences', responses: { 200: page('Saved'), 400: page('Invalid link') } },
  {
    method: 'post', path: '/api/subscriptions', tag: 'subscribers', summary: 'Start a double opt-in sign-up', request: 'subscription',
    responses: {
      202: { description: 'Accepted (same answer for new, pending and confirmed addresses)', schema: 'subscriptionAccepted' }, 400: err('Invalid body'),
      403: err('origin_not_allowed: an Origin not on EMBED_ORIGINS (no CORS headers); challenge_required / challenge_failed when SIGNUP_CHALLENGE=altcha'), 415: err('Not JSON'),
    },
  },
  { method: 'options', path: '/api/subscriptions', tag: 'embed', summary: 'CORS preflight: answered for EMBED_ORIGINS only', responses: { 204: { description: 'Allowed (Access-Control-Allow-Origin: the origin)', contentType: 'text/plain' }, 403: err('Origin not on EMBED_ORIGINS') } },
  { method: 'get', path: '/api/signup-challenge', tag: 'embed', summary: 'A fresh ALTCHA proof-of-work challenge (SIGNUP_CHALLENGE=altcha); CORS for EMBED_ORIGINS', responses: { 200: { description: 'The challenge; one solution is good for one sign-up within 10 minutes', schema: 'signupChallenge' }, 403: err('Origin not on EMBED_ORIGINS'), 404: err('Challenge off') } },
  { method: 'options', path: '/api/signup-challenge', tag: 'embed', summary: 'CORS preflight of the challenge', responses: { 204: { description: 'Allowed', contentType: 'text/plain' }, 403: err('Origin not on EMBED_ORIGINS') } },
  {
    method: 'get', path: '/api/stats/signups', tag: 'subscribers', scope: ['read'], query: ['from', 'to'], summary: 'Sign-ups and confirmations per source, form kind and day (from/to: YYYY-MM-DD, at most 366 days; default the last 30)',
    responses: { 200: { description: 'Counters kept as sign-ups happen', schema: 'signupStats' }, 400: err('Bad dates or range'), 401: err('Missing, wrong or revoked API key') },
  },
  ...AUDIENCE_ROUTES,
  {
    method: 'post', path: '/api/articles', tag: 'articles', scope: ['publish'], summary: 'Publish an article as a breaking-news alert: now, or at publishAt (scheduled); with updates, as a follow-up threaded under that alert', request: 'publish',
    responses: {
      202: { description: 'Alert queued (or scheduled)', schema: 'publishAccepted' }, 200: { description: 'Duplicate: the existing alert', schema: 'publishAccepted' },
      400: err('Invalid article; publish_at_in_past / publish_at_too_far'), 401: err('Missing, wrong or revoked API key'),
      409: err('update_target_scheduled: the alert to update has not been sent yet'), 422: err('update_target_not_found: no alert with the id in updates'),
    },
  },
  {
    method: 'post', path: '/api/articles/preview', tag: 'articles', scope: ['publish'], summary: 'Render an article for every locale without sending', request: 'article',
    responses: { 200: { description: 'Subject, HTML and text per locale', schema: 'preview' }, 400: err('Invalid article'), 401: err('Missing, wrong or revoked API key') },
  },
  {
    method: 'post', path: '/api/articles/test-send', tag: 'articles', scope: ['publish'], summary: 'Send one test copy of an article to one address', request: 'testSend',
    responses: { 200: { description: 'Sent', schema: 'testSent' }, 400: err('Invalid body'), 401: err('Missing, wrong or revoked API key'), 502: err('The mail server refused it') },
  },
  {
    method: 'get', path: '/api/alerts/{id}', tag: 'alerts', scope: ['read', 'publish'], summary: 'Progress of an alert',
    responses: { 200: { description: 'Alert status', schema: 'alertStatus' }, 404: err('No such alert'), 401: err('Missing, wrong or revoked API key') },
  },
  {
    method: 'patch', path: '/api/alerts/{id}', tag: 'alerts', scope: ['publish'], summary: 'Edit a scheduled alert before it fires (article fields, publishAt), validated like a publish', request: 'alertEdit',
    responses: {
      200: { description: 'The alert status after the edit', schema: 'alertStatus' }, 400: err('Invalid fields; publish_at_in_past / publish_at_too_far'),
      401: err('Missing, wrong or revoked API key'), 403: err('The key lacks the publish scope'), 404: err('No such alert'), 409: err('Not scheduled (any more)'), 415: err('Not JSON'),
    },
  },
  ...(['pause', 'resume', 'cancel'] as const).map(
    (action): RouteDoc => ({
      method: 'post', path: `/api/alerts/{id}/${action}`, tag: 'alerts', scope: ['publish'], summary: `${action[0]!.toUpperCase()}${action.slice(1)} an alert`,
      responses: { 200: { description: 'The alert status after the action, and whether it changed anything', schema: 'alertControlled' }, 404: err('No such alert'), 409: err('Not possible in its state'), 401: err('Missing, wrong or revoked API key') },
    }),
  ),
  {
    method: 'post', path: '/api/webhooks/bounces', tag: 'subscribers', summary: 'Bounce and complaint reports (JSON events or a raw RFC 3464 DSN / RFC 5965 ARF message); Bearer BOUNCE_WEBHOOK_SECRET',
    responses: {
      200: { description: '`{received, results: [{email (masked), type, status?, outcome}]}`', contentType: 'application/json' },
      400: err('Invalid JSON event'), 401: err('Missing or wrong webhook secret'), 404: err('Webhook off (BOUNCE_WEBHOOK_SECRET unset)'),
      415: err('Neither JSON nor a report'), 422: err('Not a bounce or complaint report'),
    },
  },
  { method: 'get', path: '/api/keys', tag: 'keys', scope: ['admin'], summary: 'Every named API key (revoked ones too), never their secrets', responses: { 200: { description: 'The keys, newest first', schema: 'apiKeyList' }, 401: err('Missing, wrong or revoked API key'), 403: err('The key lacks the admin scope') } },
  {
    method: 'post', path: '/api/keys', tag: 'keys', scope: ['admin'], summary: 'Create a named key with scopes; the secret is in this answer only', request: 'apiKeyCreate',
    responses: { 201: { description: 'The key and its secret', schema: 'apiKeyCreated' }, 400: err('Bad name or scopes'), 401: err('Missing, wrong or revoked API key'), 403: err('The key lacks the admin scope'), 415: err('Not JSON') },
  },
  {
    method: 'post', path: '/api/keys/{id}/revoke', tag: 'keys', scope: ['admin'], summary: 'Revoke a key: the next request with it is refused everywhere',
    responses: { 200: { description: 'The key, and whether this call revoked it', schema: 'apiKeyRevoked' }, 400: err('The bootstrap key (PUBLISHER_TOKEN) cannot be revoked'), 404: err('No such key'), 401: err('Missing, wrong or revoked API key'), 403: err('The key lacks the admin scope') },
  },
  {
    method: 'get', path: '/api/audit', tag: 'keys', scope: ['admin'], query: ['before', 'limit'], summary: 'The audit log, newest first, a page at a time (limit 1–500, default 100; before: the previous page\'s next)',
    responses: { 200: { description: 'Entries and the cursor of the next (older) page', schema: 'auditPage' }, 400: err('Bad before or limit'), 401: err('Missing, wrong or revoked API key'), 403: err('The key lacks the admin scope') },
  },
  {
    method: 'get', path: '/api/audit/export', tag: 'keys', scope: ['admin'], query: ['format'], summary: 'The whole audit log, oldest first, as a download (format: jsonl, the default, or csv)',
    responses: { 200: { description: 'JSON lines (one entry as /api/audit shows it per line) or CSV', contentType: 'application/x-ndjson' }, 400: err('Bad format'), 401: err('Missing, wrong or revoked API key'), 403: err('The key lacks the admin scope') },
  },
  { method: 'get', path: '/healthz', tag: 'operations', summary: 'Liveness', responses: { 200: { description: 'Process is up', contentType: 'application/json' } } },
  { method: 'get', path: '/readyz', tag: 'operations', summary: 'Readiness (Redis answers)', responses: { 200: { description: 'Ready', contentType: 'application/json' }, 503: { description: 'Redis down', contentType: 'application/json' } } },
  { method: 'get', path: '/metrics', tag: 'operations', summary: 'Prometheus metrics', responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } } },
  { method: 'get', path: '/openapi.json', tag: 'operations', summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1', contentType: 'application/json' } } },
];

/** The OpenAPI 3.1 document, its JSON Schemas generated from the zod schemas the routes validate with. */
export function buildOpenApi(config: Config, schemas: ApiSchemas, routes: RouteDoc[] = ROUTES): Record<string, unknown> {
  const components: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    // `input` describes what a client sends (before defaults/transforms); draft 2020-12 is OpenAPI 3.1's dialect.
    const json = z.toJSONSchema(schema as z.ZodType, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    delete json.$schema;
    components[name] = json;
  }
  const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters = [
      ...[...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } })),
      ...(r.query ?? []).map((q) => ({ name: q, in: 'query', required: q === 'token', schema: { type: 'string' } })),
    ];
    const responses: Record<string, unknown> = {};
    for (const [code, res] of Object.entries(r.responses)) {
      const type = res.contentType ?? 'application/json';
      responses[code] = { description: res.description, content: { [type]: res.schema ? { schema: ref(res.schema) } : {} } };
    }
    (paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      tags: [r.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(r.scope ? { security: [{ apiKey: [] }], 'x-kilat-scopes': r.scope, description: `Needs an API key with the ${r.scope.map((x) => `\`${x}\``).join(' or ')} scope (or \`admin\`).` } : {}),
      ...(r.request ? { requestBody: { required: true, content: { 'application/json': { schema: ref(r.request) } } } } : {}),
      ...(r.form ? { requestBody: { content: { 'application/x-www-form-urlencoded': { schema: { type: 'object' } } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: `${config.siteName} breaking-news alerts API`, version: '1.0.0' },
    servers: [{ url: config.publicUrl }],
    paths,
    components: {
      schemas: components,
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A named API key (kilat keys create) or PUBLISHER_TOKEN, the bootstrap key with every scope' } },
    },
  };
}
