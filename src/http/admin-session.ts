import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { HttpError } from './errors';

export const ADMIN_COOKIE = 'kilat_admin';
const SESSION_SECONDS = 12 * 3600;

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/**
 * Browsers cannot send a bearer header from a plain form, so /admin signs in once with the
 * publisher token and gets an HttpOnly, SameSite=Strict cookie: `<expiry>.<HMAC>`. The HMAC covers
 * a hash of the publisher token, so changing PUBLISHER_TOKEN signs every editor out.
 */
export function createAdminSession(opts: { publisherToken: string; secretKey: string; secure: boolean }) {
  const tokenHash = sha256(opts.publisherToken);
  const mac = (expiry: string) => createHmac('sha256', opts.secretKey).update(`admin-session:${expiry}:`).update(tokenHash).digest('base64url');

  const validCookie = (req: Request): boolean => {
    const value = (req.cookies as Record<string, string> | undefined)?.[ADMIN_COOKIE];
    if (typeof value !== 'string') return false;
    const [expiry, given] = value.split('.');
    if (!expiry || !given || !/^\d{1,12}$/.test(expiry) || Number(expiry) < Date.now() / 1000) return false;
    const a = Buffer.from(mac(expiry));
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  };

  const validBearer = (req: Request): boolean => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    return m !== null && timingSafeEqual(sha256(m[1]!), tokenHash);
  };

  return {
    /** Constant-time check of a token typed into the sign-in form. */
    checkToken: (token: unknown) => typeof token === 'string' && timingSafeEqual(sha256(token), tokenHash),
    cookie() {
      const expiry = String(Math.floor(Date.now() / 1000) + SESSION_SECONDS);
      return {
        name: ADMIN_COOKIE,
        value: `${expiry}.${mac(expiry)}`,
        options: { httpOnly: true, sameSite: 'strict' as const, secure: opts.secure, path: '/admin', maxAge: SESSION_SECONDS * 1000 },
      };
    },
    /** Pages: signed in (cookie or bearer) or sent to the sign-in form. */
    requirePage: ((req, res, next) => {
      if (validCookie(req) || validBearer(req)) return next();
      if (req.method === 'GET' && req.accepts('html')) return res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl)}`);
      next(new HttpError(401, 'unauthorized', 'Sign in at /admin/login with the publisher token.', { 'WWW-Authenticate': 'Bearer' }));
    }) as RequestHandler,
  };
}

export type AdminSession = ReturnType<typeof createAdminSession>;
