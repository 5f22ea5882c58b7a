import { createHmac } from 'node:crypto';
import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import type { Request, RequestHandler, Response } from 'express';
import { HttpError } from './errors';
import { escapeHtml } from './pages/html';

export interface Csrf {
  /** Parses the Cookie header (the token's cookie half); put it before `verify` and `token`. */
  cookies: RequestHandler;
  /** Throws a 403 HttpError unless the form's `_csrf` field matches its signed cookie. */
  verify(req: Request): void;
  /** Adds the hidden `_csrf` field to every POST form in a page (and sets the cookie if needed). */
  addToForms(req: Request, res: Response, page: string): string;
}

export const CSRF_FIELD = '_csrf';

/**
 * Signed double-submit tokens (csrf-csrf) for the HTML forms: the cookie holds `hmac.random`, the
 * form repeats it, and only this site can make a pair that verifies. There are no sessions, so the
 * cookie is the identity. The HMAC key is derived from SECRET_KEY, separate from link signing.
 */
export function createCsrf(o: { secretKey: string; secure: boolean }): Csrf {
  const secret = createHmac('sha256', o.secretKey).update('kilat csrf v1').digest('hex');
  const { generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => secret,
    getSessionIdentifier: () => '',
    // __Host- pins the cookie to this exact origin, but needs Secure: only over https.
    cookieName: o.secure ? '__Host-kilat-csrf' : 'kilat-csrf',
    cookieOptions: { sameSite: 'strict', path: '/', secure: o.secure, httpOnly: true },
    getCsrfTokenFromRequest: (req) => {
      const v = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
      return typeof v === 'string' ? v : undefined;
    },
  });
  return {
    cookies: cookieParser(),
    verify(req) {
      if (!validateRequest(req)) {
        throw new HttpError(403, 'csrf_failed', 'This form has expired or was not sent from this site. Go back, reload the page and send it again.');
      }
    },
    addToForms(req, res, page) {
      if (!page.includes('<form method="post"')) return page;
      const field = `<input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(generateCsrfToken(req, res))}">`;
      // Every POST form of our own pages gets the field, so a new form cannot forget it.
      return page.replace(/<form method="post"[^>]*>/g, (tag) => tag + field);
    },
  };
}
