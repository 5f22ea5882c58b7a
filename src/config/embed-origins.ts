/** An origin as EMBED_ORIGINS takes it: scheme, host and optional port, nothing more. */
export function isOrigin(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === v.replace(/\/$/, '').toLowerCase();
  } catch {
    return false;
  }
}

/** EMBED_ORIGINS (already checked by the schema) as distinct normalised origins; unset = none. */
export function parseEmbedOrigins(value: string | undefined): string[] {
  return [...new Set((value ?? '').split(',').map((o) => o.trim()).filter(Boolean).map((o) => new URL(o).origin))];
}
