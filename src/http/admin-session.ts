import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Keys } from '../keys';
import type { Redis } from '../redis';
import { hashSecret, type ApiKeys, type KeyIdentity } from '../ops/api-keys';
import { clientKey, createRateLimit } from './rate-limits';

export const ADMIN_COOKIE = 'kilat_admin';
const SESSION_SECONDS = 12 * 3600;
/** Wrong keys per client (IPv4 address or IPv6 /64) per window before sign-in is refused. */
const SIGN_IN_ATTEMPTS = 10;
const SIGN_IN_WINDOW_SECONDS = 15 * 60;

export interface AdminSessionOptions {
  redis: Redis;
  keys: Keys;
  apiKeys: ApiKeys;
  secure: boolean;
}

export type SignInResult = { ok: true; key: KeyIdentity } | { ok: false; reason: 'wrong_token' };

/**
 * Browsers cannot send a bearer header from a plain form, so /admin signs in once with an API key
 * (a named key, or PUBLISHER_TOKEN as the bootstrap key) and gets an HttpOnly, SameSite=Strict
 * cookie holding a random session id. The session lives in Redis under a hash of the id and holds
 * the key's id and the hash of its secret; every request looks the key up again by that hash, so a
 * revoked key (or a changed PUBLISHER_TOKEN) ends its sessions on the very next request. Signing
 * out deletes the session for good, every sign-in makes a new one and drops the one the browser
 * had, and sessions expire after 12 hours. Wrong keys are counted per client: past the limit,
 * sign-in answers 429 for a while.
 */
export function createAdminSession(opts: AdminSessionOptions) {
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
  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, secure: opts.secure, path: '/admin' };

  return {
    /**
     * Checks a key typed into the sign-in form; on success starts a new session and sets its
     * cookie, dropping the session the browser came with. Throws a 429 HttpError while the client
     * is over the attempt limit, right key or not.
     */
    async signIn(req: Request, res: Response, token: unknown): Promise<SignInResult> {
      const client = clientKey(req.ip ?? '');
      await attempts.check(client);
      const key = typeof token === 'string' ? await opts.apiKeys.authenticate(token.trim()) : undefined;
      if (!key) {
        await attempts.consume(client);
        return { ok: false, reason: 'wrong_token' };
      }
      const old = cookieId(req);
      const id = randomBytes(32).toString('base64url');
      await opts.redis.set(sessionKey(id), JSON.stringify({ keyId: key.id, hash: hashSecret((token as string).trim()) }), 'EX', SESSION_SECONDS);
      if (old) await opts.redis.del(sessionKey(old));
      res.cookie(ADMIN_COOKIE, id, { ...cookieOptions, maxAge: SESSION_SECONDS * 1000 });
      return { ok: true, key };
    },
    /** Ends the session for good (the cookie stops working even if it was copied) and clears the cookie. */
    async signOut(req: Request, res: Response): Promise<void> {
      const id = cookieId(req);
      if (id) await opts.redis.del(sessionKey(id));
      res.clearCookie(ADMIN_COOKIE, cookieOptions);
    },
    /** Whether the request carries a session cookie at all (req.cookies must be parsed). */
    hasCookie: (req: Request) => cookieId(req) !== undefined,
    /** The live key behind the request's session cookie: undefined without one, expired, or its key revoked. */
    async resolve(req: Request): Promise<KeyIdentity | undefined> {
      const id = cookieId(req);
      if (!id) return undefined;
      const raw = await opts.redis.get(sessionKey(id));
      if (!raw || !raw.startsWith('{')) return undefined;
      const s = JSON.parse(raw) as { keyId?: unknown; hash?: unknown };
      if (typeof s.hash !== 'string') return undefined;
      const key = await opts.apiKeys.byHash(s.hash);
      return key && key.id === s.keyId ? key : undefined;
    },
  };
}

export type AdminSession = ReturnType<typeof createAdminSession>;
