import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { LOCALES, type Locale } from './config';
import { templatesDir } from './paths';

/** Every string an email uses; each locale's file (templates/i18n/<locale>.json) has them all. */
const EMAIL_KEYS = [
  'banner', 'readMore', 'by', 'reasonAll', 'reasonTopics', 'unsubscribe', 'preferences', 'confirmSubject',
  'confirmHeading', 'confirmIntro', 'confirmButton', 'confirmIgnore', 'confirmExpiry', 'digestBanner', 'digestSubject',
  'digestHeading', 'digestIntro', 'digestReason', 'clickDisclosure', 'updateBanner', 'updateNote', 'updateLead',
] as const;

/** Every string a page uses (and `topics`, the display name of each topic). */
const PAGE_KEYS = [
  'title', 'intro', 'emailLabel', 'languageLabel', 'topicsLabel', 'submit', 'switchLanguage', 'privacy',
  'checkInboxTitle', 'checkInbox', 'confirmedTitle', 'confirmed', 'alreadyConfirmed', 'unsubscribeTitle',
  'unsubscribeQuestion', 'unsubscribeButton', 'unsubscribedTitle', 'unsubscribed', 'preferencesTitle',
  'preferencesSave', 'preferencesSaved', 'statusLabel', 'statusPending', 'statusConfirmed', 'statusPaused',
  'statusUnsubscribed', 'statusBounced', 'statusComplained', 'pauseHeading', 'pauseHelp', 'pausedHelp', 'pauseButton',
  'resumeButton', 'pausedNotice', 'resumedNotice', 'dataHeading', 'dataHelp', 'exportButton', 'deleteButton',
  'deleteTitle', 'deleteQuestion', 'deleteConfirmButton', 'deleteCancel', 'deletedTitle', 'deleted',
  'invalidLinkTitle', 'invalidLink', 'expiredLinkTitle', 'expiredLink', 'staleLinkTitle', 'staleLink', 'goneLinkTitle',
  'goneLink', 'errorTitle', 'back', 'frequencyLabel', 'frequencyBreaking', 'frequencyDigest',
  'clickExpiredTitle', 'clickExpired', 'clickGoneTitle', 'clickGone', 'clickOpenArticle', 'clickInvalid',
] as const;

export type EmailStrings = Record<(typeof EMAIL_KEYS)[number], string>;
export type PageKey = (typeof PAGE_KEYS)[number];
export type PageStrings = Record<PageKey, string> & { topics: Record<string, string> };

export interface Strings {
  lang: string;
  languageName: string;
  email: EmailStrings;
  page: PageStrings;
}

export type Catalog = Record<Locale, Strings>;

/** Reads every locale's strings; a missing or non-text string stops the process at start, naming it. */
export function loadCatalog(dir = path.join(templatesDir, 'i18n')): Catalog {
  const entries = LOCALES.map((locale) => {
    const file = path.join(dir, `${locale}.json`);
    return [locale, checkStrings(JSON.parse(fs.readFileSync(file, 'utf8')), file)];
  });
  return Object.fromEntries(entries) as Catalog;
}

function checkStrings(data: unknown, file: string): Strings {
  const d = data as { lang?: unknown; languageName?: unknown; email?: Record<string, unknown>; page?: Record<string, unknown> };
  const missing = [
    ...(['lang', 'languageName'] as const).filter((k) => typeof d[k] !== 'string'),
    ...EMAIL_KEYS.filter((k) => typeof d.email?.[k] !== 'string').map((k) => `email.${k}`),
    ...PAGE_KEYS.filter((k) => typeof d.page?.[k] !== 'string').map((k) => `page.${k}`),
    ...(typeof d.page?.topics === 'object' && d.page.topics !== null ? [] : ['page.topics']),
  ];
  if (missing.length > 0) throw new Error(`${file}: missing strings: ${missing.join(', ')}`);
  return data as Strings;
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
