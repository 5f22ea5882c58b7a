import { domainToASCII } from 'node:url';
import { z } from 'zod';

export type AddressResult = { ok: true; address: string } | { ok: false; reason: string };

// zod's email check (a dot-atom local part, a dotted domain) after the domain is put in its ASCII
// (punycode) form, so "budi@contoh.indonesia" and IDN domains both pass through one rule.
const emailCheck = z.email({ pattern: z.regexes.email });

/**
 * Normalises a sign-up address to the one form used as its identity: trimmed, lowercased, IDN
 * domain in punycode. Rejects anything that could not be delivered or that could smuggle a header.
 */
export function normaliseAddress(input: unknown): AddressResult {
  if (typeof input !== 'string') return { ok: false, reason: 'email must be a string' };
  const trimmed = input.trim();
  if (trimmed.length === 0) return { ok: false, reason: 'email is required' };
  if (/[\s\u0000-\u001f\u007f]/.test(trimmed)) return { ok: false, reason: 'email must not contain spaces or control characters' };
  const at = trimmed.lastIndexOf('@');
  if (at < 1 || at === trimmed.length - 1) return { ok: false, reason: 'email must look like name@example.com' };
  const local = trimmed.slice(0, at);
  const domain = domainToASCII(trimmed.slice(at + 1).toLowerCase());
  if (!domain) return { ok: false, reason: 'email domain is not a valid domain name' };
  if (local.length > 64) return { ok: false, reason: 'email local part is longer than 64 characters' };
  const address = `${local.toLowerCase()}@${domain}`;
  if (address.length > 254) return { ok: false, reason: 'email is longer than 254 characters' };
  // zod's pattern wants a letters-only top-level domain; an IDN one arrives as punycode (xn--…),
  // so that label is checked on its own and the rest of the address by the pattern.
  const tld = domain.slice(domain.lastIndexOf('.') + 1);
  const checked = /^xn--[a-z0-9-]{2,59}$/.test(tld) ? `${address.slice(0, -tld.length)}idn` : address;
  if (!emailCheck.safeParse(checked).success) return { ok: false, reason: 'email must look like name@example.com' };
  return { ok: true, address };
}
