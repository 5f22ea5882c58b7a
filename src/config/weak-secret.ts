const PLACEHOLDERS = ['change', 'secret', 'passw', 'example', 'default', 'publisher', 'letmein', 'qwerty', 'admin', 'kilat', '12345', 'abcde'];
const MIN_SECRET_BITS = 128;

/**
 * Why a secret is too weak for production, or undefined. Its entropy is estimated from its own
 * character frequencies (Shannon entropy times length: `aaaa…` or `abab…` score almost nothing) and
 * it must not contain a placeholder word (`change-me-…`). What `openssl rand -base64 32` prints
 * passes easily (about 190 bits by this estimate).
 */
export function weakSecret(value: string): string | undefined {
  const lower = value.toLowerCase();
  const word = PLACEHOLDERS.find((w) => lower.includes(w));
  if (word) return `looks like a placeholder (contains "${word}"), not a random secret`;
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / value.length) * Math.log2(n / value.length);
  const bits = Math.floor(perChar * value.length);
  return bits < MIN_SECRET_BITS ? `has about ${bits} bits of entropy; at least ${MIN_SECRET_BITS} are needed` : undefined;
}
