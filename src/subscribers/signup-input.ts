import { z } from 'zod';
import { LOCALES, type Locale } from '../config';
import { normaliseAddress } from './email-address';

export interface SignupInput {
  email: string;
  locale: Locale;
  topics: string[];
}

export type SignupParse = { ok: true; value: SignupInput } | { ok: false; field: string; message: string };

// Built once per topic list: building a zod schema costs more than a whole sign-up request does.
const schemas = new Map<string, ReturnType<typeof buildSchema>>();

export function signupSchema(topics: readonly string[]) {
  const key = topics.join(',');
  let schema = schemas.get(key);
  if (!schema) {
    schema = buildSchema(topics);
    schemas.set(key, schema);
  }
  return schema;
}

function buildSchema(topics: readonly string[]) {
  return z
    .object({
      email: z.string().max(320),
      locale: z.enum(LOCALES).optional(),
      topics: z.array(z.enum(topics as [string, ...string[]])).max(topics.length).optional(),
    })
    .strict();
}

/** Validates a sign-up (JSON or form) and normalises its address. */
export function parseSignup(body: unknown, topics: readonly string[], defaultLocale: Locale): SignupParse {
  const parsed = signupSchema(topics).safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? 'body');
    return { ok: false, field, message: `${field}: ${issue.message}` };
  }
  const address = normaliseAddress(parsed.data.email);
  if (!address.ok) return { ok: false, field: 'email', message: address.reason };
  return {
    ok: true,
    value: { email: address.address, locale: parsed.data.locale ?? defaultLocale, topics: [...new Set(parsed.data.topics ?? [])] },
  };
}
