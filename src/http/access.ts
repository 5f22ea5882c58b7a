import cookieParser from 'cookie-parser';
import type { Request, RequestHandler, Response } from 'express';
import { hasScope, type ApiKeys, type KeyIdentity, type Scope } from '../ops/api-keys';
import type { AuditAction } from '../ops/audit-actions';
import type { AuditFrom, AuditLog, AuditTarget } from '../ops/audit-log';
import type { AdminSession } from './admin-session';
import { HttpError } from './errors';

export interface AccessDeps {
  apiKeys: ApiKeys;
  session: AdminSession;
  audit: AuditLog;
}

const parseCookies = cookieParser();
const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The key a request was authenticated with (set by requireScope). */
export function actorOf(res: Response): KeyIdentity {
  const actor = res.locals.actor as KeyIdentity | undefined;
  if (!actor) throw new Error('actorOf: the route has no requireScope in front of it');
  return actor;
}

/** The key a page was opened with, if any, as the admin header shows it. */
export function pageViewer(res: Response): { name: string; admin: boolean; subscribers: boolean } | undefined {
  const actor = res.locals.actor as KeyIdentity | undefined;
  return actor && { name: actor.name, admin: hasScope(actor, 'admin'), subscribers: hasScope(actor, 'subscribers') };
}

/** Where a request came from, for the audit log: req.ip follows TRUST_PROXY (express's trust proxy). */
export function requestFrom(req: Request): AuditFrom {
  return {
    via: req.originalUrl.startsWith('/admin') ? 'admin' : 'api',
    ip: req.ip,
    userAgent: req.get('user-agent') ?? undefined,
  };
}

/**
 * Authentication and scopes for every protected route. A request is authenticated by a bearer key
 * (API clients; /admin accepts one too) or by the /admin session cookie, and the key is looked up
 * on every request — one GET by the secret's hash — so a revoked key is refused on the next request
 * everywhere: the API, an open /admin session, Bull Board.
 */
export function createAccess(deps: AccessDeps) {
  const authenticate = async (req: Request, res: Response): Promise<KeyIdentity | undefined> => {
    const header = req.get('authorization');
    if (header !== undefined) {
      const m = BEARER.exec(header);
      return m ? deps.apiKeys.authenticate(m[1]!) : undefined;
    }
    if (req.cookies === undefined) await new Promise<void>((resolve, reject) => parseCookies(req, res, (e?: unknown) => (e ? reject(e as Error) : resolve())));
    return deps.session.resolve(req);
  };

  /**
   * Lets the request through when its key has one of `anyOf` (or `admin`); 401 without a valid
   * key (an /admin page GET goes to the sign-in form instead), 403 with a key that lacks the scope.
   */
  const requireScope = (...anyOf: Scope[]): RequestHandler => {
    if (anyOf.length === 0) throw new Error('requireScope needs at least one scope');
    return (req, res, next) => {
      authenticate(req, res).then((key) => {
        const page = req.originalUrl.startsWith('/admin');
        if (!key) {
          if (page && req.method === 'GET' && req.get('authorization') === undefined && req.accepts('html')) {
            return res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl)}`);
          }
          const message = page ? 'Sign in at /admin/login with your API key.' : 'A valid API key is required (Authorization: Bearer <key>).';
          return next(new HttpError(401, 'unauthorized', message, { 'WWW-Authenticate': 'Bearer' }));
        }
        if (!anyOf.some((s) => hasScope(key, s))) {
          return next(new HttpError(403, 'forbidden', `The key "${key.name}" does not have the ${anyOf.map((s) => `"${s}"`).join(' or ')} scope this needs.`));
        }
        res.locals.actor = key;
        next();
      }, next);
    };
  };

  /** Records an action the request just carried out, as its key, from its client. */
  const record = (req: Request, res: Response, action: AuditAction, target: AuditTarget) => {
    const actor = actorOf(res);
    return deps.audit.record({ actor: { id: actor.id, name: actor.name }, action, target, from: requestFrom(req) });
  };

  return { requireScope, record, actorOf, session: deps.session };
}

export type Access = ReturnType<typeof createAccess>;
