/** Host colours for the embedded sign-up box, checked so the text stays readable (WCAG AA). */
export interface EmbedColours {
  accent: string;
  background: string;
  text: string;
  /** Text on the accent (the button): white or near-black, whichever reads better. */
  onAccent: string;
}

export const DEFAULT_COLOURS: EmbedColours = { accent: '#b00d27', background: '#ffffff', text: '#1a1a1a', onAccent: '#ffffff' };

/** `#rgb` or `#rrggbb` (the `#` optional, as it is awkward in a query string) to `#rrggbb`; else undefined. */
export function parseHexColour(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.exec(v.trim());
  if (!m) return undefined;
  const hex = m[1]!.length === 3 ? [...m[1]!].map((c) => c + c).join('') : m[1]!;
  return `#${hex.toLowerCase()}`;
}

function luminance(hex: string): number {
  const channel = (i: number) => {
    const s = parseInt(hex.slice(i, i + 2), 16) / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const readableOn = (bg: string) => (contrast('#ffffff', bg) >= contrast('#1a1a1a', bg) ? '#ffffff' : '#1a1a1a');

/**
 * The colours a newsroom asked for, each only if it parses; text that would not be readable on
 * the background (below 4.5:1) is replaced by black or white, so a host's choice cannot make the
 * form unreadable.
 */
export function embedColours(q: { accent?: unknown; bg?: unknown; text?: unknown }): EmbedColours {
  const background = parseHexColour(q.bg) ?? DEFAULT_COLOURS.background;
  const accent = parseHexColour(q.accent) ?? DEFAULT_COLOURS.accent;
  const wanted = parseHexColour(q.text) ?? DEFAULT_COLOURS.text;
  const text = contrast(wanted, background) >= 4.5 ? wanted : readableOn(background);
  return { accent, background, text, onAccent: readableOn(accent) };
}
