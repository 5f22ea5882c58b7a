import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './errors';

/** Bearer-token check in constant time (both sides hashed first so lengths never leak). */
export function requireBearer(
  token: string,
  message = 'A valid publisher token is required (Authorization: Bearer <token>).',
): RequestHandler {
  const expected = createHash('sha256').update(token).digest();
  return (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const given = createHash('sha256').update(match?.[1] ?? '').digest();
    if (!match || !timingSafeEqual(expected, given)) {
      next(new HttpError(401, 'unauthorized', message, { 'WWW-Authenticate': 'Bearer' }));
      return;
    }
    next();
  };
}
