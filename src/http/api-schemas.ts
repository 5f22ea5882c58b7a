import { z } from 'zod';
import { LOCALES } from '../config';
import { articleSchema } from '../article';
import { signupSchema } from '../subscribers/signup-input';

/**
 * Every request and response body of the JSON API as zod schemas. The routes validate with these
 * and /openapi.json is generated from them, so the document cannot drift from what is enforced.
 */
export function apiSchemas(topics: readonly string[]) {
  const article = articleSchema(topics);
  const alertStatus = z.object({
    id: z.string(),
    state: z.enum(['queued', 'sending', 'paused', 'completed', 'failed', 'cancelled']),
    total: z.number().int(),
    sent: z.number().int(),
    failed: z.number().int(),
    skipped: z.number().int(),
    createdAt: z.string(),
    firstSentAt: z.string().optional(),
    completedAt: z.string().optional(),
    pausedAt: z.string().optional(),
    pausedBy: z.enum(['operator', 'kilat']).optional().describe('While paused: by an operator, or by Kilat itself because the relay or its configuration refused the alert (see reason)'),
    cancelledAt: z.string().optional(),
    failedAt: z.string().optional(),
    title: z.string(),
    locale: z.string(),
    topics: z.array(z.string()),
    articleId: z.string().optional(),
    url: z.string().optional(),
    reason: z
      .string()
      .optional()
      .describe('Why the alert is not going out, in plain words: what the relay did (paused by Kilat), why it cannot be rendered (failed), or a guard such as ALERT_MAX_AGE'),
  });
  const rendered = z.object({ subject: z.string(), html: z.string(), text: z.string() });
  return {
    subscription: signupSchema(topics),
    subscriptionAccepted: z.object({ status: z.literal('pending') }),
    article,
    publishAccepted: z.object({
      alertId: z.string(),
      status: z.enum(['queued', 'duplicate']),
      duplicate: z.boolean().optional(),
      statusUrl: z.string(),
    }),
    preview: z.object(Object.fromEntries(LOCALES.map((l) => [l, rendered])) as Record<(typeof LOCALES)[number], typeof rendered>),
    testSend: z
      .object({
        to: z.string().max(320).describe('The address that receives the single test copy.'),
        locale: z.enum(LOCALES).optional().describe("Template language; defaults to the article's locale."),
        article,
      })
      .strict(),
    testSent: z.object({ status: z.literal('sent'), to: z.string() }),
    alertStatus,
    alertControlled: alertStatus.extend({ changed: z.boolean().describe('false when the alert was already in the state the action asks for') }),
    error: z.object({ error: z.object({ code: z.string(), message: z.string() }) }),
  };
}

export type ApiSchemas = ReturnType<typeof apiSchemas>;

/** First zod issue as `path: message`, the shape every 400 of the API uses. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `${issue.path.join('.') || 'body'}: ${issue.message}`;
}
