import { Router, type Request, type RequestHandler, type Response } from 'express';
import { LOCALES, type Locale } from '../../config';
import { isLocale } from '../../i18n';
import type { TokenSigner } from '../../subscribers/tokens';
import type { AppDeps } from '../app';
import { errorBody } from '../errors';
import { layout, messageBody } from '../pages/pages';

/** Only a web page is ever a target; anything else in an alert record is not followed. */
const webUrl = (url: string | undefined): string | undefined => {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
};

/**
 * `GET /r/<token>`: a reader's tracked "Read more" link (CLICK_TRACKING=on). The token is signed
 * (TokenSigner, purpose `click`) and names the reader and the alert; the target is that alert's
 * article URL, read from the alert record. Nothing in the request can choose where it goes, so it
 * is no open redirect. A click counts once per reader as unique and at most CLICKS_PER_READER times
 * toward the total; HEAD requests and browser prefetches redirect without counting.
 */
export function clickRedirectRoutes(deps: AppDeps & { signer: TokenSigner }, requireRedis: RequestHandler): Router {
  const { config, catalog } = deps;
  const router = Router();

  const answer = (req: Request, res: Response, status: number, locale: Locale, code: string, title: string, text: string, article?: string) => {
    res.set('Cache-Control', 'no-store').set('X-Robots-Tag', 'noindex');
    if (req.accepts(['html', 'json']) === 'json') return void res.status(status).json(errorBody(code, text));
    const p = catalog[locale].page;
    res
      .status(status)
      .type('html')
      .send(layout({ locale, strings: catalog[locale], siteName: config.siteName, title, body: messageBody(text, article ? { href: article, label: p.clickOpenArticle } : { href: '/', label: p.back }) }));
  };
  const askedLocale = (req: Request): Locale => {
    const accepted = req.acceptsLanguages(...LOCALES);
    return isLocale(accepted) ? accepted : config.defaultLocale;
  };

  router.get('/r/:token', requireRedis, async (req, res) => {
    const v = deps.signer.verify(req.params.token, 'click', Math.floor(Date.now() / 1000));
    // An expired link still proves it was ours: its alert is read so the page can offer the article.
    const expired = !v.ok && v.code === 'token_expired' ? deps.signer.verify(req.params.token, 'click', 0) : undefined;
    const claims = v.ok ? v.claims : expired?.ok ? expired.claims : undefined;
    if (!claims?.alertId) {
      const locale = askedLocale(req);
      return answer(req, res, 400, locale, v.ok ? 'token_invalid' : v.code, catalog[locale].page.invalidLinkTitle, catalog[locale].page.clickInvalid);
    }
    const alert = await deps.alerts.get(claims.alertId);
    const target = webUrl(alert?.article.url);
    const locale = alert && isLocale(alert.article.locale) ? alert.article.locale : askedLocale(req);
    const p = catalog[locale].page;
    if (!target) return answer(req, res, 404, locale, 'article_not_found', p.clickGoneTitle, p.clickGone);
    if (!v.ok) return answer(req, res, 410, locale, 'token_expired', p.clickExpiredTitle, p.clickExpired, target);
    // Link checkers and previews ask with HEAD, browsers prefetch with Sec-Purpose: neither is a reader.
    const prefetch = /prefetch/i.test(`${req.get('sec-purpose') ?? ''} ${req.get('purpose') ?? ''}`);
    if (config.clickTracking && req.method === 'GET' && !prefetch) {
      try {
        await deps.alerts.outcomes.click(claims.alertId, claims.subscriberId);
      } catch (err) {
        // The reader still gets the story; a lost count is only a lost count.
        deps.logger.warn({ alertId: claims.alertId, err: (err as Error).message }, 'click not counted');
      }
    }
    res.set('Cache-Control', 'private, no-store').set('X-Robots-Tag', 'noindex').set('Referrer-Policy', 'no-referrer').redirect(302, target);
  });

  return router;
}
