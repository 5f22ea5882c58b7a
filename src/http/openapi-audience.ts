import type { RouteDoc } from './openapi';

const err = (description: string) => ({ description, schema: 'error' as const });
const unauthorized = err('No valid API key');
const forbidden = err('The key lacks the scope the route needs');
const byAddress = { 400: err('No valid email in the body, or other fields'), 401: unauthorized, 403: forbidden, 404: err('subscriber_not_found: no subscriber has exactly this address'), 415: err('Not JSON') };

/** The audience routes (src/http/routes/audience-api.ts), listed in ROUTES. */
export const AUDIENCE_ROUTES: RouteDoc[] = [
  {
    method: 'get', path: '/api/stats/audience', tag: 'subscribers', scope: ['read'], query: ['days', 'from', 'to'],
    summary: 'Subscribers by status, locale and topic, and per UTC day sign-ups, confirmations, unsubscribes (by how), bounces and complaints (days: 1-366, default 30; or from/to as YYYY-MM-DD)',
    responses: { 200: { description: 'Counters kept as events happen (no scan of subscribers)', schema: 'audienceStats' }, 400: err('Bad days or dates'), 401: unauthorized, 403: forbidden },
  },
  {
    method: 'post', path: '/api/subscribers/lookup', tag: 'subscribers', scope: ['subscribers'], request: 'subscriberLookup',
    summary: 'One subscriber by exact address (the address in the body, never in the URL): status, locale, topics, history',
    responses: { 200: { description: 'The subscriber', schema: 'subscriberView' }, ...byAddress },
  },
  {
    method: 'post', path: '/api/subscribers/unsubscribe', tag: 'subscribers', scope: ['subscribers'], request: 'subscriberLookup',
    summary: 'Unsubscribe one subscriber by exact address (counted as the newsroom\'s unsubscribe)',
    responses: { 200: { description: 'Their record after it', schema: 'subscriberUnsubscribed' }, ...byAddress },
  },
  {
    method: 'post', path: '/api/subscribers/export', tag: 'subscribers', scope: ['subscribers'], request: 'subscriberLookup',
    summary: 'Everything held about one subscriber (the data-rights export the preferences page gives them)',
    responses: { 200: { description: 'The export', schema: 'subscriberExport' }, ...byAddress },
  },
  {
    method: 'post', path: '/api/subscribers/delete', tag: 'subscribers', scope: ['subscribers'], request: 'subscriberLookup',
    summary: 'Delete one subscriber (right to erasure): only a keyed hash of the address stays, in the suppression set',
    responses: { 200: { description: 'Deleted', schema: 'subscriberDeleted' }, ...byAddress },
  },
];
