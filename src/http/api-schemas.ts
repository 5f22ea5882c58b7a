import { SCOPES } from '../ops/api-keys';
import { AUDIT_ACTIONS, AUDIT_VIA } from '../ops/audit-actions';
import { z } from 'zod';
import { LOCALES } from '../config';
import { articleSchema } from '../article';
import { editSchema, publishSchema } from '../alerts/publish';
import { signupSchema } from '../subscribers/signup-input';
import { audienceSchemas } from './audience-schemas';

/**
 * Every request and response body of the JSON API as zod schemas. The routes validate with these
 * and /openapi.json is generated from them, so the document cannot drift from what is enforced.
 */
export function apiSchemas(topics: readonly string[]) {
  const article = articleSchema(topics);
  const alertStatus = z.object({
    id: z.string(),
    state: z.enum(['scheduled', 'queued', 'sending', 'paused', 'completed', 'failed', 'cancelled']),
    total: z.number().int(),
    sent: z.number().int(),
    failed: z.number().int(),
    skipped: z.number().int(),
    createdAt: z.string(),
    publishAt: z.string().optional().describe('A scheduled alert: when it is (or was) due'),
    updates: z.string().optional().describe('A follow-up: the alert it updates'),
    threadRoot: z.string().optional().describe("A follow-up: the story's first alert, which its copies thread under"),
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
    outcomes: z
      .object({
        unsubscribed: z.number().int().describe("Readers who left through this alert's unsubscribe link, List-Unsubscribe header or preferences page"),
        bounced: z.number().int().describe("Hard-bounce reports about this alert's copies (refusals while sending are in failed)"),
        complained: z.number().int().describe("Spam complaints (feedback-loop reports) about this alert's copies"),
        clicks: z
          .object({
            unique: z.number().int().describe('Readers who opened the article through "Read more", each once'),
            total: z.number().int().describe('Clicks counted, at most 3 per reader'),
          })
          .describe('0 unless CLICK_TRACKING=on; link scanners that follow every link are counted too'),
      })
      .describe('What readers did after the alert arrived, counted as it happens'),
  });
  const apiKey = z.object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    createdAt: z.string(),
    createdBy: z.object({ id: z.string(), name: z.string() }),
    revokedAt: z.string().nullable(),
  });
  const auditEntry = z.object({
    id: z.string().describe('Stream entry id, ordered'),
    at: z.string(),
    actor: z.object({ id: z.string(), name: z.string() }),
    action: z.enum(AUDIT_ACTIONS),
    target: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    from: z.object({ via: z.enum(AUDIT_VIA), ip: z.string().optional(), userAgent: z.string().optional() }),
  });
  const rendered = z.object({ subject: z.string(), html: z.string(), text: z.string() });
  return {
    // The sign-up fields plus what the embeds send (issue 12); the intake takes these out first.
    subscription: signupSchema(topics).extend({
      source: z.string().max(500).optional().describe('The page the sign-up box was on (an article URL on an EMBED_ORIGINS site); kept for attribution'),
      website: z.string().optional().describe('Honeypot: leave empty. A filled one gets the same 202 and nothing is stored'),
      altcha: z.string().max(1500).optional().describe('The solved ALTCHA challenge (base64 JSON) when SIGNUP_CHALLENGE=altcha; GET /api/signup-challenge'),
    }),
    subscriptionAccepted: z.object({ status: z.literal('pending') }),
    article,
    publish: publishSchema(topics),
    alertEdit: editSchema(topics).describe('Any publish fields but id and updates; only while the alert is scheduled'),
    publishAccepted: z.object({
      alertId: z.string(),
      status: z.enum(['queued', 'scheduled', 'duplicate']),
      publishAt: z.string().optional(),
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
    signupChallenge: z.object({ algorithm: z.literal('SHA-256'), challenge: z.string(), maxnumber: z.number().int(), salt: z.string(), signature: z.string() }),
    signupStats: z.object({
      from: z.string(),
      to: z.string(),
      timeZone: z.string().describe('Days are counted in TIME_ZONE'),
      rows: z.array(
        z.object({
          day: z.string(),
          source: z.string().describe("The embedding page without its query string; '' for a direct API call"),
          kind: z.enum(['page', 'form', 'iframe', 'script', 'api']),
          signups: z.number().int().describe('New readers who started the double opt-in from this source'),
          confirmations: z.number().int().describe('Of the readers this source brought in, those who confirmed on this day'),
        }),
      ),
    }),
    apiKeyCreate: z.strictObject({ name: z.string().max(256).describe('Who holds the key: 1–64 characters, no control characters'), scopes: z.array(z.enum(SCOPES)).min(1).max(16) }),
    apiKeyCreated: z.object({ key: apiKey, secret: z.string().describe('Shown only in this answer; Kilat stores a hash of it') }),
    apiKeyList: z.object({ keys: z.array(apiKey) }),
    apiKeyRevoked: z.object({ key: apiKey, changed: z.boolean().describe('false when the key was already revoked') }),
    auditPage: z.object({ entries: z.array(auditEntry), next: z.string().nullable().describe('Pass as before= for the next, older page; null at the end') }),
    ...audienceSchemas(),
    error: z.object({ error: z.object({ code: z.string(), message: z.string() }) }),
  };
}

export type ApiSchemas = ReturnType<typeof apiSchemas>;

/** First zod issue as `path: message`, the shape every 400 of the API uses. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return `${issue.path.join('.') || 'body'}: ${issue.message}`;
}
