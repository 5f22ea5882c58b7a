/** The languages Kilat writes in; each has a catalog under templates/i18n. */
export const LOCALES = ['id', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
