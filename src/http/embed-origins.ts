import type { Request } from 'express';

export interface EmbedOrigins {
  /** Kilat's own origin (PUBLIC_URL). */
  self: string;
  /** EMBED_ORIGINS, normalised. */
  allowed: readonly string[];
  /**
   * The origin a browser says a request came from: the Origin header, else the Referer's origin
   * (a browser that sends no Origin still sends the page). undefined when neither says (or `null`).
   */
  of(req: Request): string | undefined;
  /** An origin on EMBED_ORIGINS (never Kilat's own: that one needs no permission). */
  isAllowed(origin: string | undefined): origin is string;
  /** A URL (absolute, http/https) on an allowed origin or Kilat's own; its normal form, or undefined. */
  pageUrl(value: unknown, opts?: { selfToo?: boolean; keepHash?: boolean }): string | undefined;
}

/** Longest page URL kept as a sign-up source (attribution) or accepted as a redirect. */
export const MAX_PAGE_URL = 500;

export function originOfUrl(value: string): string | undefined {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/** Which sites may embed the sign-up box: EMBED_ORIGINS, checked against what the browser sends. */
export function createEmbedOrigins(o: { publicUrl: string; embedOrigins: readonly string[] }): EmbedOrigins {
  const self = new URL(o.publicUrl).origin;
  const allowed = new Set(o.embedOrigins.filter((x) => x !== self));
  return {
    self,
    allowed: [...allowed],
    of(req) {
      const origin = req.get('origin');
      if (origin && origin !== 'null') return originOfUrl(origin) ?? origin;
      const referer = req.get('referer');
      return referer ? originOfUrl(referer) : undefined;
    },
    isAllowed(origin): origin is string {
      return origin !== undefined && allowed.has(origin);
    },
    pageUrl(value, opts = {}) {
      if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PAGE_URL) return undefined;
      let u: URL;
      try {
        u = new URL(value);
      } catch {
        return undefined;
      }
      if (u.username || u.password) return undefined;
      if (!allowed.has(u.origin) && !(opts.selfToo && u.origin === self)) return undefined;
      if (!opts.keepHash) u.hash = '';
      return u.href;
    },
  };
}
