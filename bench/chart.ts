export interface CurvePoint {
  /** Milliseconds after the publish request returned. */
  ms: number;
  /** Share of recipients accepted by the sink, 0..1. */
  share: number;
}

export interface ChartInput {
  title: string;
  subtitle: string;
  curve: CurvePoint[];
  subscribers: number;
  wireLimitPerSecond: number;
  /** Where the wire-limit line starts: the first accepted message. */
  firstMessageMs: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The delivery curve (share of recipients accepted over time) as a self-contained SVG, with the
 * wire limit's slope drawn from the first message: the closer the curve hugs it, the better.
 */
export function deliverySvg(input: ChartInput): string {
  const W = 760;
  const H = 400;
  const m = { left: 60, right: 20, top: 56, bottom: 48 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const wireMs = input.wireLimitPerSecond > 0 ? (input.subscribers / input.wireLimitPerSecond) * 1000 : 0;
  const lastMs = input.curve.length > 0 ? input.curve[input.curve.length - 1]!.ms : 1000;
  const maxMs = Math.max(lastMs, input.firstMessageMs + wireMs, 1000) * 1.05;
  const x = (ms: number) => m.left + (Math.max(0, ms) / maxMs) * pw;
  const y = (share: number) => m.top + (1 - share) * ph;
  const fmt = (v: number) => v.toFixed(1);

  const step = niceStep(maxMs / 1000);
  const xTicks: string[] = [];
  for (let s = 0; s * 1000 <= maxMs; s += step) {
    xTicks.push(
      `<line x1="${fmt(x(s * 1000))}" y1="${m.top + ph}" x2="${fmt(x(s * 1000))}" y2="${m.top + ph + 5}" stroke="#555"/>` +
        `<text x="${fmt(x(s * 1000))}" y="${m.top + ph + 18}" text-anchor="middle">${s}</text>`,
    );
  }
  const yTicks: string[] = [];
  for (let p = 0; p <= 100; p += 25) {
    yTicks.push(
      `<line x1="${m.left}" y1="${fmt(y(p / 100))}" x2="${m.left + pw}" y2="${fmt(y(p / 100))}" stroke="#ddd"/>` +
        `<text x="${m.left - 8}" y="${fmt(y(p / 100) + 4)}" text-anchor="end">${p}%</text>`,
    );
  }
  const points = [{ ms: 0, share: 0 }, ...input.curve].map((p) => `${fmt(x(p.ms))},${fmt(y(p.share))}`).join(' ');
  const wire =
    wireMs > 0
      ? `<line x1="${fmt(x(input.firstMessageMs))}" y1="${fmt(y(0))}" x2="${fmt(x(input.firstMessageMs + wireMs))}" y2="${fmt(y(1))}" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="6 4"/>`
      : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${m.left}" y="22" font-size="15" font-weight="bold">${esc(input.title)}</text>
<text x="${m.left}" y="40" fill="#555">${esc(input.subtitle)}</text>
${yTicks.join('\n')}
${xTicks.join('\n')}
<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" stroke="#555"/>
<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" stroke="#555"/>
<text x="${m.left + pw / 2}" y="${H - 10}" text-anchor="middle">seconds after POST /api/articles returned</text>
${wire}
<polyline points="${points}" fill="none" stroke="#1f6feb" stroke-width="2.5"/>
<g transform="translate(${m.left + pw - 250},${m.top + ph - 50})">
<rect width="245" height="42" fill="#fff" stroke="#ccc"/>
<line x1="10" y1="14" x2="40" y2="14" stroke="#1f6feb" stroke-width="2.5"/><text x="48" y="18">Kilat: share of recipients accepted</text>
<line x1="10" y1="31" x2="40" y2="31" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="6 4"/><text x="48" y="35">wire limit (smtp-source, same sink)</text>
</g>
</svg>
`;
}

function niceStep(seconds: number): number {
  for (const s of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600]) if (seconds / s <= 10) return s;
  return 1200;
}
