import { Router, type Response } from 'express';
import cookieParser from 'cookie-parser';
import type { Redis } from 'ioredis';
import type { Config, Locale } from '../../config';
import type { Catalog } from '../../i18n';
import { isLocale } from '../../i18n';
import type { Keys } from '../../keys';
import { pageViewer, type Access } from '../access';
import { parseHexColour } from '../embed-colours';
import { createEmbedOrigins } from '../embed-origins';
import { adminLayout } from '../pages/admin-pages';
import { embedAdminPage } from '../pages/embed-pages';

export interface AdminEmbedDeps {
  config: Config;
  access: Access;
  redis: Redis;
  keys: Keys;
  catalog: Catalog;
}

/**
 * /admin/embed: the three sign-up snippets for the news site, with locale, topics and colours to
 * choose and a live preview. A GET form, so the choice is in the address and can be shared.
 */
export function adminEmbedRoutes(deps: AdminEmbedDeps): Router {
  const { config } = deps;
  const router = Router();
  const origins = createEmbedOrigins(config);
  router.use('/admin/embed', cookieParser());

  router.get('/admin/embed', deps.access.requireScope('read', 'publish'), (req, res: Response) => {
    const q = req.query as Record<string, unknown>;
    const locale: Locale = isLocale(q.locale) ? q.locale : config.defaultLocale;
    const topics = (Array.isArray(q.topics) ? q.topics : q.topics === undefined ? [] : [q.topics]).filter((t): t is string => typeof t === 'string' && config.topics.includes(t));
    const body = embedAdminPage({
      base: origins.self,
      choice: { locale, topics: [...new Set(topics)], accent: parseHexColour(q.accent), bg: parseHexColour(q.bg), text: parseHexColour(q.text) },
      topics: config.topics,
      topicNames: deps.catalog.en.page.topics,
      strings: deps.catalog[locale],
      challenge: config.signupChallenge === 'altcha',
      embedOrigins: origins.allowed,
    });
    res
      .status(200)
      .type('html')
      .set('Cache-Control', 'no-store')
      .send(adminLayout({ title: 'Embed the sign-up box', body, signedIn: true, siteName: config.siteName, viewer: pageViewer(res) }));
  });
  return router;
}
