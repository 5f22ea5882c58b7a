/**
 * The per-recipient values a template may place (`{{slot "UNSUBSCRIBE_URL"}}` in templates/), filled
 * in each copy. Which email fills which is decided here: list emails (alerts, the daily digest) carry
 * the unsubscribe and preferences links, the confirmation its confirm link, and an alert with
 * CLICK_TRACKING=on its tracked "Read more" link as well, a follow-up its threading headers (the
 * mailer's prepareListEmail puts the sets together). src/subscribers/links.ts makes the values.
 */
export const LIST_SLOTS = ['UNSUBSCRIBE_URL', 'PREFERENCES_URL'] as const;
export const CONFIRM_SLOTS = ['CONFIRM_URL'] as const;
export const CLICK_SLOTS = ['READ_MORE_URL'] as const;
/**
 * A follow-up's threading headers (In-Reply-To, References) for a reader who got the earlier
 * alerts of the story: the Message-IDs of their own copies of those. Header slots only.
 */
export const THREAD_SLOTS = ['IN_REPLY_TO', 'REFERENCES'] as const;
// Appended only: a slot's index is its marker in rendered output (render.ts), one digit.
export const SLOT_NAMES = [...LIST_SLOTS, ...CONFIRM_SLOTS, ...CLICK_SLOTS, ...THREAD_SLOTS] as const;

export type SlotName = (typeof SLOT_NAMES)[number];
/** One reader's values for an alert or digest copy. */
export type ListSlots = Record<(typeof LIST_SLOTS)[number], string>;
/** One reader's values for an alert copy; READ_MORE_URL only when CLICK_TRACKING=on. */
export type AlertSlots = ListSlots & Partial<Record<(typeof CLICK_SLOTS)[number], string>>;
/** One reader's threading headers for a follow-up copy. */
export type ThreadSlots = Record<(typeof THREAD_SLOTS)[number], string>;
/** One reader's value for a confirmation copy. */
export type ConfirmSlots = Record<(typeof CONFIRM_SLOTS)[number], string>;
