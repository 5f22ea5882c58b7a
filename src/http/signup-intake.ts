import type { Request } from 'express';
import type { Config, Locale } from '../config';
import { isLocale } from '../i18n';
import type { SignupChallenge } from '../subscribers/signup-challenge';
import { parseSignup } from '../subscribers/signup-input';
import type { SignupKind } from '../subscribers/signup-stats';
import type { SubscriptionService } from '../subscribers/subscription-service';
import type { EmbedOrigins } from './embed-origins';
import { EMBED_STRINGS } from './pages/embed-pages';
import type { SignupLimits } from './rate-limits';

/** A field no person fills in (hidden from view and from screen readers); bots fill it. */
export const HONEYPOT_FIELD = 'website';
/** The ALTCHA solution (base64 JSON) when SIGNUP_CHALLENGE=altcha. */
export const CHALLENGE_FIELD = 'altcha';
/** The page (article URL) the sign-up box was on; kept only when it is on an allowed origin. */
export const SOURCE_FIELD = 'source';
/** Fields of a sign-up that are not the subscription itself (taken out before it is validated). */
const EXTRA_FIELDS = [HONEYPOT_FIELD, CHALLENGE_FIELD, SOURCE_FIELD, 'redirect', '_csrf'];

export type IntakeResult =
  | { ok: true; locale: Locale; dropped: boolean }
  | { ok: false; locale: Locale; status: 400 | 403; code: 'validation_failed' | 'challenge_required' | 'challenge_failed'; message: string; email: string; topics: string[] };

export interface SignupIntakeDeps {
  config: Config;
  subscriptions: SubscriptionService;
  signupLimits?: SignupLimits;
  challenge?: SignupChallenge;
  origins: EmbedOrigins;
}

export type SignupIntake = (req: Request, body: Record<string, unknown>, kind: SignupKind, opts?: { form?: boolean }) => Promise<IntakeResult>;

/**
 * The one sign-up path every form and the JSON API go through: abuse limits, the honeypot, the
 * challenge when it is on, validation, and the sign-up with where it came from. The caller turns the
 * result into its own kind of answer (page, compact page, redirect or JSON).
 */
export function createSignupIntake(deps: SignupIntakeDeps): SignupIntake {
  const { config, origins } = deps;

  const sourceOf = (req: Request, body: Record<string, unknown>, kind: SignupKind): string => {
    // The snippet's own `source` (the article URL) first, then the page the browser says it was on.
    const candidates = [body[SOURCE_FIELD], req.get('referer'), kind === 'page' ? `${origins.self}/` : undefined, req.get('origin')];
    for (const c of candidates) {
      const url = origins.pageUrl(c, { selfToo: true });
      if (!url) continue;
      const u = new URL(url);
      // Tracking parameters would make every visit its own source: the article is the path.
      u.search = '';
      return u.href;
    }
    return '';
  };

  return async (req, body, kind, opts = {}) => {
    await deps.signupLimits?.consumeIp(req.ip ?? '');
    const locale: Locale = isLocale(body.locale) ? body.locale : config.defaultLocale;
    const rawTopics = body.topics === undefined ? [] : Array.isArray(body.topics) || !opts.form ? body.topics : [body.topics];
    const email = typeof body.email === 'string' ? body.email.slice(0, 320) : '';
    const safeTopics = (Array.isArray(rawTopics) ? rawTopics : []).filter((t): t is string => typeof t === 'string' && config.topics.includes(t));
    const fail = (status: 400 | 403, code: 'validation_failed' | 'challenge_required' | 'challenge_failed', message: string): IntakeResult => ({ ok: false, locale, status, code, message, email, topics: safeTopics });

    // A filled honeypot gets the same answer as a real sign-up, and nothing happens.
    const trap = body[HONEYPOT_FIELD];
    if (trap !== undefined && trap !== '') return { ok: true, locale, dropped: true };

    if (deps.challenge) {
      const check = await deps.challenge.verify(body[CHALLENGE_FIELD]);
      const s = EMBED_STRINGS[locale];
      if (!check.ok) return check.reason === 'missing' ? fail(403, 'challenge_required', s.challengeRequired) : fail(403, 'challenge_failed', s.challengeFailed);
    }

    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) if (!EXTRA_FIELDS.includes(k)) rest[k] = v;
    const parsed = parseSignup(opts.form ? { email: body.email ?? '', locale, topics: rawTopics } : rest, config.topics, config.defaultLocale);
    if (!parsed.ok) return fail(400, 'validation_failed', parsed.message);
    await deps.signupLimits?.consumeAddress(parsed.value.email);
    await deps.subscriptions.signup(parsed.value, { kind, source: sourceOf(req, body, kind) });
    return { ok: true, locale: parsed.value.locale, dropped: false };
  };
}
