import { randomBytes } from 'node:crypto';
import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { maskEmail } from '../../logger';
import { NotABounceReport, parseBounceReport, type BounceEvent, type BounceReport } from '../../subscribers/bounce-report';
import { normaliseAddress } from '../../subscribers/email-address';
import type { AppDeps } from '../app';
import { requireBearer } from '../auth';
import { HttpError } from '../errors';

const REPORT_LIMIT = '2mb';
const MAX_EVENTS = 1000;

// messageId: the Message-ID of the copy the event is about, as the provider reports it (optional);
// it attributes the bounce or complaint to the alert that copy belonged to.
const jsonEvent = z.object({ email: z.string().max(320), type: z.enum(['hard', 'soft', 'complaint']), messageId: z.string().max(998).optional() }).strict();
const jsonBody = z.union([jsonEvent, z.array(jsonEvent).min(1).max(MAX_EVENTS), z.object({ events: z.array(jsonEvent).min(1).max(MAX_EVENTS) }).strict()]);

const REPORT_TYPES = ['message/rfc822', 'multipart/report', 'message/delivery-status', 'message/global-delivery-status'];

/**
 * `POST /api/webhooks/bounces`: bounce and complaint reports from the mail provider or the bounce
 * mailbox. Authenticated with BOUNCE_WEBHOOK_SECRET as a bearer token; absent when it is unset.
 * Accepts JSON events `{email, type}` (one, an array, or `{events: [...]}`) and raw reports:
 * a whole DSN or ARF message (message/rfc822), or the report body with its multipart/report type.
 */
export function bounceWebhookRoutes(deps: AppDeps, requireRedis: RequestHandler): Router {
  const router = Router();
  const secret = deps.config.bounceWebhookSecret;
  const bounces = deps.bounces;
  if (!secret || !bounces) {
    router.post('/bounces', () => {
      throw new HttpError(404, 'webhook_disabled', 'The bounce webhook is off: set BOUNCE_WEBHOOK_SECRET to turn it on.');
    });
    return router;
  }
  const auth = requireBearer(secret, 'A valid webhook secret is required (Authorization: Bearer <BOUNCE_WEBHOOK_SECRET>).');
  const json = express.json({ limit: '256kb', strict: true });
  const raw = express.raw({ type: REPORT_TYPES, limit: REPORT_LIMIT });

  router.post('/bounces', auth, json, raw, requireRedis, async (req, res) => {
    const results: { email: string; type: string; status?: string; outcome: string }[] = [];
    const show = (e: BounceEvent, outcome: string) => ({ email: e.email ? maskEmail(e.email) : '(redacted)', type: e.type, ...(e.status ? { status: e.status } : {}), outcome });
    if (req.is('application/json')) {
      const parsed = jsonBody.safeParse(req.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new HttpError(400, 'validation_failed', `${issue.path.join('.') || 'body'}: ${issue.message}`);
      }
      const list = Array.isArray(parsed.data) ? parsed.data : 'events' in parsed.data ? parsed.data.events : [parsed.data];
      const events = list.map((e, i) => {
        const address = normaliseAddress(e.email);
        if (!address.ok) throw new HttpError(400, 'validation_failed', `${Array.isArray(parsed.data) || 'events' in parsed.data ? `events.${i}.` : ''}email: ${address.reason}`);
        return { email: address.address, type: e.type, ...(e.messageId ? { messageId: e.messageId } : {}) };
      });
      // The provider's own events, behind the webhook secret: taken at their word.
      for (const event of events) results.push(show(event, await bounces.apply(event)));
    } else if (Buffer.isBuffer(req.body) && req.body.length > 0) {
      // A report from the bounce mailbox: acts only on the subscriber whose message it quotes.
      for (const r of await bounces.applyReport(await readReport(req.body, req.get('content-type') ?? ''))) results.push(show(r.event, r.outcome));
    } else {
      throw new HttpError(415, 'unsupported_media_type', `Send JSON {email, type} or a raw report as one of: ${REPORT_TYPES.join(', ')}.`);
    }
    res.json({ received: results.length, results });
  });
  return router;
}

async function readReport(body: Buffer, contentType: string): Promise<BounceReport> {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  let message: Buffer;
  if (type === 'message/rfc822') {
    message = body;
  } else if (type.startsWith('multipart/')) {
    // The report posted with its own MIME type is the body of a message: give it back its header.
    message = Buffer.concat([Buffer.from(`MIME-Version: 1.0\r\nContent-Type: ${contentType.replace(/[\r\n]/g, ' ')}\r\n\r\n`), body]);
  } else {
    // A bare message/delivery-status: wrap it as the one part of a multipart/report. The boundary
    // is drawn at random, so the report cannot end the wrapper early and add parts of its own.
    const boundary = `kilat-wrap-${randomBytes(12).toString('hex')}`;
    message = Buffer.concat([
      Buffer.from(`MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"\r\n\r\n--${boundary}\r\nContent-Type: ${type}\r\n\r\n`),
      body,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
  }
  try {
    return await parseBounceReport(message);
  } catch (err) {
    if (err instanceof NotABounceReport) throw new HttpError(422, 'not_a_bounce_report', `The body is not a bounce or complaint report: ${err.message}.`);
    throw new HttpError(400, 'unreadable_report', 'The report could not be read as a MIME message.');
  }
}
