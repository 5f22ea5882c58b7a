import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { LOCALES, type Locale } from './config';
import { templatesDir } from './paths';

export interface Strings {
  lang: string;
  languageName: string;
  email: Record<string, string>;
  page: Record<string, string> & { topics: Record<string, string> };
}

export type Catalog = Record<Locale, Strings>;

export function loadCatalog(dir = path.join(templatesDir, 'i18n')): Catalog {
  const entries = LOCALES.map((locale) => [locale, JSON.parse(fs.readFileSync(path.join(dir, `${locale}.json`), 'utf8')) as Strings]);
  return Object.fromEntries(entries) as Catalog;
}

const compiled = new Map<string, Handlebars.TemplateDelegate>();

/** Fills `{{name}}` slots in a catalog string. Output is plain text: escape it where it lands. */
export function format(template: string, vars: Record<string, string | number>): string {
  let fn = compiled.get(template);
  if (!fn) {
    fn = Handlebars.compile(template, { noEscape: true, strict: true });
    compiled.set(template, fn);
  }
  return fn(vars);
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}
