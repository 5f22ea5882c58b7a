import type { Config } from '../config';
import { loadCatalog, type Catalog } from '../i18n';
import { templatesDir } from '../paths';
import { createRenderer, type Renderer } from './render';

/** The renderer every process builds the same way from the configuration. */
export function createRendererFromConfig(config: Config, catalog: Catalog = loadCatalog()): Renderer {
  return createRenderer({
    catalog,
    templatesDir,
    siteName: config.siteName,
    excerptParagraphs: config.excerptParagraphs,
    timeZone: config.timeZone,
    confirmTokenTtlHours: config.confirmTokenTtlSeconds / 3600,
    clickTracking: config.clickTracking,
  });
}
