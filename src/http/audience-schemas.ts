import { z } from 'zod';
import { LOCALES } from '../config';
import { STATUSES } from '../subscribers/audience-stats';
import { UNSUBSCRIBE_HOWS } from '../subscribers/subscriber-store';

const count = z.number().int();

/**
 * The request and response bodies of the audience routes (/api/subscribers/…, /api/stats/audience),
 * spread into apiSchemas so /openapi.json documents them with the rest.
 */
export function audienceSchemas() {
  const subscriberView = z.object({
    email: z.string(),
    status: z.enum(STATUSES as [string, ...string[]]),
    locale: z.string(),
    topics: z.array(z.string()).describe('Empty: every topic'),
    signedUpAt: z.string(),
    confirmedAt: z.string().nullable(),
    alertsReceived: count.describe('Alert copies the mail relay accepted for this subscriber'),
    lastBounce: z.object({ at: z.string(), kind: z.enum(['hard', 'soft', 'complaint']) }).nullable(),
    softBounces: count.describe('Temporary delivery failures in a row right now'),
    pendingChange: z.object({ locale: z.string(), topics: z.array(z.string()) }).nullable().describe('Choices from a later sign-up waiting for the owner to confirm them'),
  });
  const totals = z.object({
    byStatus: z.object(Object.fromEntries(STATUSES.map((s) => [s, count])) as Record<(typeof STATUSES)[number], typeof count>),
    total: count,
    byLocale: z.record(z.string(), count).describe('Confirmed subscribers per locale'),
    byTopic: z.record(z.string(), count).describe('Confirmed subscribers who chose the topic'),
    allTopics: count.describe('Confirmed subscribers who chose no topic: they get every alert'),
  });
  const day = z.object({
    day: z.string().describe('UTC day, YYYY-MM-DD'),
    signups: count,
    confirmations: count,
    imports: count,
    unsubscribes: z.object({ ...Object.fromEntries(UNSUBSCRIBE_HOWS.map((h) => [h, count])), total: count }).describe(
      "one-click: the mail client's List-Unsubscribe-Post; footer: the email's unsubscribe link; preferences: the preferences page; newsroom: /admin or the API",
    ),
    bounces: count.describe('Hard bounces, and soft bounces that reached SOFT_BOUNCE_LIMIT'),
    complaints: count,
    deletions: count,
  });
  return {
    subscriberLookup: z.object({ email: z.string().max(320).describe('The exact address (normalised as at sign-up: trimmed, lowercased, IDN in punycode)') }).strict(),
    subscriberView,
    subscriberUnsubscribed: z.object({ changed: z.boolean().describe('false when they were not subscribed (already left, bounced or complained)'), subscriber: subscriberView }),
    subscriberExport: z.object({
      email: z.string(),
      status: z.string(),
      locale: z.string(),
      topics: z.array(z.string()),
      subscribedAt: z.string(),
      confirmedAt: z.string().nullable(),
      softBounces: count,
      signupSource: z.object({}).passthrough().nullable(),
      exportedAt: z.string(),
    }),
    subscriberDeleted: z.object({ deleted: z.literal(true) }),
    audienceStats: z.object({
      totals,
      from: z.string(),
      to: z.string(),
      days: z.array(day),
      locales: z.array(z.enum(LOCALES)),
    }),
  };
}
