import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Keys } from '../keys';
import type { Redis } from '../redis';
import { HttpError } from './errors';
import { clientKey, createRateLimit } from './rate-limits';

export const ADMIN_COOKIE = 'kilat_admin';
const SESSION_SECONDS = 12 * 3600;
/** Wrong publisher tokens per client (IPv4 address or IPv6 /64) per window before sign-in is refused. */
const SIGN_IN_ATTEMPTS = 10;
const SIGN_IN_WINDOW_SECONDS = 15 * 60;

const sha256 = (s: string) => createHash('sha256').update(s).digest();

export interface AdminSessionOptions {
  redis: Redis;
  keys: Keys;
  publisherToken: string;
  secure: boolean;
}

export type SignInResult = { ok: true } | { ok: false; reason: 'wrong_token' };

/**
 * Browsers cannot send a bearer header from a plain form, so /admin signs in once with the
 * publisher token and gets an HttpOnly, SameSite=Strict cookie holding a random session id. The
 * session lives in Redis (under a hash of the id, with the hash of the publisher token it was made
 * with) so that signing out deletes it for good, every sign-in makes a new one and drops the one
 * the browser had, a changed PUBLISHER_TOKEN ends them all, and they expire after 12 hours.
 * Wrong tokens are counted per client: past the limit, sign-in answers 429 for a while.
 */
export function createAdminSession(opts: AdminSessionOptions) {
  const tokenHash = sha256(opts.publisherToken);
  const tokenTag = tokenHash.toString('hex').slice(0, 16);
  const attempts = createRateLimit({
    redis: opts.redis,
    keyPrefix: opts.keys.rateLimit('admin-sign-in'),
    points: SIGN_IN_ATTEMPTS,
    durationSeconds: SIGN_IN_WINDOW_SECONDS,
    message: 'Too many wrong sign-in attempts from your network; try again later.',
  });
  const sessionKey = (id: string) => opts.keys.adminSession(createHash('sha256').update(id).digest('base64url'));
  const cookieId = (req: Request): string | undefined => {
    const value = (req.cookies as Record<string, string> | undefined)?.[ADMIN_COOKIE];
    return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
  };

  const validCookie = async (req: Request): Promise<boolean> => {
    const id = cookieId(req);
    if (!id) return false;
    return (await opts.redis.get(sessionKey(id))) === tokenTag;
  };

  const validBearer = (req: Request): boolean => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    return m !== null && timingSafeEqual(sha256(m[1]!), tokenHash);
  };

  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, secure: opts.secure, path: '/admin' };

  return {
    /**
     * Checks a token typed into the sign-in form (constant time); on success starts a new session
     * and sets its cookie, dropping the session the browser came with. Throws a 429 HttpError
     * while the client is over the attempt limit, right token or not.
     */
    async signIn(req: Request, res: Response, token: unknown): Promise<SignInResult> {
      const client = clientKey(req.ip ?? '');
      await attempts.check(client);
      if (typeof token !== 'string' || !timingSafeEqual(sha256(token), tokenHash)) {
        await attempts.consume(client);
        return { ok: false, reason: 'wrong_token' };
      }
      const old = cookieId(req);
      const id = randomBytes(32).toString('base64url');
      await opts.redis.set(sessionKey(id), tokenTag, 'EX', SESSION_SECONDS);
      if (old) await opts.redis.del(sessionKey(old));
      res.cookie(ADMIN_COOKIE, id, { ...cookieOptions, maxAge: SESSION_SECONDS * 1000 });
      return { ok: true };
    },
    /** Ends the session for good (the cookie stops working even if it was copied) and clears the cookie. */
    async signOut(req: Request, res: Response): Promise<void> {
      const id = cookieId(req);
      if (id) await opts.redis.del(sessionKey(id));
      res.clearCookie(ADMIN_COOKIE, cookieOptions);
    },
    /** Pages: signed in (session cookie or bearer) or sent to the sign-in form. */
    requirePage: (async (req, res, next) => {
      try {
        if (validBearer(req) || (await validCookie(req))) return next();
      } catch (err) {
        return next(err);
      }
      if (req.method === 'GET' && req.accepts('html')) return res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl)}`);
      next(new HttpError(401, 'unauthorized', 'Sign in at /admin/login with the publisher token.', { 'WWW-Authenticate': 'Bearer' }));
    }) as RequestHandler,
  };
}

export type AdminSession = ReturnType<typeof createAdminSession>;
