import type { Request, RequestHandler } from 'express';
import { HttpError } from './errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses a state-changing request that a browser sent from another origin. The /admin session
 * cookie is SameSite=Strict, but a "site" ignores the port and takes in every subdomain, so a page on
 * another port of the same host or on a sibling subdomain (a newsroom's blog, a sandboxed preview)
 * gets the editor's cookie sent with its form posts. The browser itself says where a request comes
 * from: `Sec-Fetch-Site` (every current browser), else `Origin` compared with the Host this request
 * was sent to, or with PUBLIC_URL behind a proxy that rewrites Host. A request with neither header is
 * not a browser's cross-origin post (curl, the CLI, a script with its own key) and is let through;
 * it still needs a key or a session like any other. This is the check Go's
 * http.CrossOriginProtection makes.
 */
export function requireSameOrigin(o: { publicUrl: string }): RequestHandler {
  const publicOrigin = new URL(o.publicUrl).origin;
  const sameOrigin = (req: Request): boolean => {
    const site = req.get('sec-fetch-site');
    // "none": the user typed the address or followed a bookmark; nothing else was involved.
    if (site !== undefined) return site === 'same-origin' || site === 'none';
    const origin = req.get('origin');
    if (origin === undefined) return true;
    if (origin === publicOrigin) return true;
    try {
      // "null" (a sandboxed frame, a data: page) throws here and is refused.
      return new URL(origin).host === req.get('host');
    } catch {
      return false;
    }
  };
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method) || sameOrigin(req)) return next();
    next(new HttpError(403, 'cross_origin_refused', 'This form was sent from another site, so nothing was done. To act in /admin, use the buttons on its own pages.'));
  };
}
