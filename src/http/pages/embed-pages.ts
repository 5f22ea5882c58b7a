import type { Locale } from '../../config';
import type { Strings } from '../../i18n';
import type { SignupStatsRow } from '../../subscribers/signup-stats';
import type { EmbedColours } from '../embed-colours';
import { html, SafeHtml } from './html';

/** The embed's own words (the rest comes from the page catalog, so all sign-up boxes say the same). */
export const EMBED_STRINGS: Record<Locale, Record<'challengeRequired' | 'challengeFailed' | 'originRefused' | 'redirectRefused' | 'working' | 'failed' | 'tooMany' | 'emailMissing' | 'backToArticle', string>> = {
  id: {
    challengeRequired: 'Formulir ini memerlukan pemeriksaan anti-spam yang berjalan dengan JavaScript. Aktifkan JavaScript lalu kirim lagi.',
    challengeFailed: 'Pemeriksaan anti-spam tidak berhasil atau sudah kedaluwarsa. Muat ulang halaman lalu kirim lagi.',
    originRefused: 'Formulir berlangganan ini tidak diizinkan di situs tempat formulir itu dikirim.',
    redirectRefused: 'Alamat tujuan setelah berlangganan tidak diizinkan. Tidak ada yang didaftarkan.',
    working: 'Mengirim…',
    failed: 'Pendaftaran gagal. Coba lagi sebentar lagi.',
    tooMany: 'Terlalu banyak percobaan. Coba lagi nanti.',
    emailMissing: 'Masukkan alamat email Anda.',
    backToArticle: 'Kembali ke artikel',
  },
  en: {
    challengeRequired: 'This form needs an anti-spam check that runs with JavaScript. Turn JavaScript on and send it again.',
    challengeFailed: 'The anti-spam check did not pass or has expired. Reload the page and send it again.',
    originRefused: 'This sign-up form is not allowed on the site it was sent from.',
    redirectRefused: 'The address to return to after signing up is not allowed. Nothing was signed up.',
    working: 'Sending…',
    failed: 'The sign-up did not go through. Try again in a moment.',
    tooMany: 'Too many attempts. Try again later.',
    emailMissing: 'Enter your email address.',
    backToArticle: 'Back to the article',
  },
};

/** What the embed script needs to say, per locale (built once, put into /embed.js). */
export function embedScriptStrings(catalog: Record<Locale, Strings>): Record<Locale, Record<string, string>> {
  const pick = (l: Locale) => {
    const p = catalog[l].page;
    const e = EMBED_STRINGS[l];
    return { title: p.title!, email: p.emailLabel!, submit: p.submit!, privacy: p.privacy!, doneTitle: p.checkInboxTitle!, done: p.checkInbox!, working: e.working, failed: e.failed, tooMany: e.tooMany, missing: e.emailMissing };
  };
  return { id: pick('id'), en: pick('en') };
}

const frameStyle = (c: EmbedColours) => `
* { box-sizing: border-box; }
html, body { margin: 0; overflow: hidden; }
body { font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: ${c.text}; background: ${c.background}; }
main { padding: .75rem; max-width: 40rem; }
h1 { font-size: 1.15rem; line-height: 1.3; margin: 0 0 .5rem; }
p { margin: .4rem 0; }
label { display: block; font-weight: 600; margin: .5rem 0 .3rem; }
.row { display: flex; flex-wrap: wrap; gap: .5rem; }
input[type=email] { flex: 1 1 12rem; min-width: 0; font: inherit; padding: .55rem .65rem; border: 2px solid #767676; border-radius: 4px; background: #fff; color: #1a1a1a; }
button { flex: 0 0 auto; font: inherit; font-weight: 700; padding: .55rem 1.1rem; border: 0; border-radius: 4px; background: ${c.accent}; color: ${c.onAccent}; cursor: pointer; }
:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
.error { color: #8a0010; background: #fdecee; border-left: 4px solid #b00d27; padding: .4rem .6rem; }
.note { font-size: .85rem; }
.hp { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
`;

/** The compact page served at /embed for framing: no header, fits a 320 px column. */
export function embedFrameLayout(o: { locale: Locale; title: string; colours: EmbedColours; body: SafeHtml; script: boolean }): string {
  return html`<!doctype html>
<html lang="${o.locale}" data-kilat-frame>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title}</title>
<style>${new SafeHtml(frameStyle(o.colours))}</style>
${o.script ? html`<script src="/embed.js" async></script>` : ''}
</head>
<body>
<main>
${o.body}
</main>
</body>
</html>`.value;
}

export interface EmbedFormValues {
  locale: Locale;
  topics: string[];
  source?: string;
  email?: string;
  /** Query string of the frame's colours, kept across the post so the answer looks the same. */
  colourQuery: string;
  challenge: boolean;
}

/** The honeypot: off-screen, out of the tab order, hidden from screen readers, never autofilled. */
export const honeypotField = () =>
  html`<div class="hp" aria-hidden="true"><label>Website <input type="text" name="website" tabindex="-1" autocomplete="off" value=""></label></div>`;

export function embedFrameForm(s: Strings, v: EmbedFormValues, error?: string): SafeHtml {
  const p = s.page;
  return html`<h1>${p.title}</h1>
${error ? html`<p class="error" role="alert" id="kilat-error">${error}</p>` : ''}
<form method="post" action="/embed?${v.colourQuery}"${v.challenge ? html` data-kilat-challenge` : ''} novalidate>
  <input type="hidden" name="locale" value="${v.locale}">
  ${v.topics.map((t) => html`<input type="hidden" name="topics" value="${t}">`)}
  ${v.source ? html`<input type="hidden" name="source" value="${v.source}">` : ''}
  ${honeypotField()}
  <label for="kilat-email">${p.emailLabel}</label>
  <div class="row">
    <input id="kilat-email" name="email" type="email" autocomplete="email" required value="${v.email ?? ''}"${error ? html` aria-invalid="true" aria-describedby="kilat-error"` : ''}>
    <button type="submit">${p.submit}</button>
  </div>
</form>
<p class="note">${p.privacy}</p>`;
}

export function embedFrameMessage(title: string, text: string): SafeHtml {
  return html`<h1 tabindex="-1">${title}</h1><p role="status">${text}</p>`;
}

// --- the snippets a newsroom pastes, and the /admin pages that show them -------------------------

export interface SnippetChoice {
  locale: Locale;
  topics: string[];
  accent?: string;
  bg?: string;
  text?: string;
}

function colourParams(c: SnippetChoice): URLSearchParams {
  const q = new URLSearchParams();
  if (c.accent) q.set('accent', c.accent.replace('#', ''));
  if (c.bg) q.set('bg', c.bg.replace('#', ''));
  if (c.text) q.set('text', c.text.replace('#', ''));
  return q;
}

/** 1. Plain HTML form, no JavaScript (unless the challenge is on). */
export function formSnippet(base: string, s: Strings, c: SnippetChoice, challenge: boolean): string {
  const p = s.page;
  const topics = c.topics.map((t) => `\n  <input type="hidden" name="topics" value="${t}">`).join('');
  return html`<form method="post" action="${base}/subscribe" class="kilat-signup"${challenge ? new SafeHtml(' data-kilat-challenge') : ''}>
  <p><strong>${p.title}</strong></p>
  <input type="hidden" name="locale" value="${c.locale}">${new SafeHtml(topics)}
  <input type="hidden" name="source" value="ARTICLE_URL">
  <div style="position:absolute;left:-10000px" aria-hidden="true"><label>Website <input type="text" name="website" tabindex="-1" autocomplete="off"></label></div>
  <label for="kilat-email">${p.emailLabel}</label>
  <input id="kilat-email" type="email" name="email" autocomplete="email" required>
  <button type="submit">${p.submit}</button>
</form>${challenge ? new SafeHtml(`\n<script src="${base}/embed.js" async></script>`) : ''}`.value;
}

/** 2. The iframe, and the few lines that let it set its own height. */
export function iframeSnippet(base: string, s: Strings, c: SnippetChoice): string {
  const q = colourParams(c);
  q.set('lang', c.locale);
  if (c.topics.length) q.set('topics', c.topics.join(','));
  const src = `${base}/embed?${q.toString()}&source=ARTICLE_URL`;
  return `<iframe src="${src.replace(/&/g, '&amp;')}" title="${s.page.title!.replace(/"/g, '&quot;')}" style="width:100%;max-width:40rem;height:230px;border:0" loading="lazy"></iframe>
<script>addEventListener("message",function(e){if(e.origin!=="${base}"||!e.data||e.data.kilat!=="height")return;document.querySelectorAll("iframe").forEach(function(f){if(f.contentWindow===e.source)f.style.height=e.data.height+"px"})})</script>`;
}

/** 3. The script: an inline, accessible form rendered into the div. */
export function scriptSnippet(base: string, c: SnippetChoice): string {
  const data = [`data-locale="${c.locale}"`];
  if (c.topics.length) data.push(`data-topics="${c.topics.join(',')}"`);
  if (c.accent) data.push(`data-accent="${c.accent}"`);
  if (c.bg) data.push(`data-bg="${c.bg}"`);
  if (c.text) data.push(`data-text="${c.text}"`);
  return `<div data-kilat-signup ${data.join(' ')} style="min-height:16.5rem"></div>
<script src="${base}/embed.js" async></script>`;
}

export function embedAdminPage(o: {
  base: string;
  choice: SnippetChoice;
  topics: string[];
  topicNames: Record<string, string>;
  strings: Strings;
  challenge: boolean;
  embedOrigins: readonly string[];
}): SafeHtml {
  const c = o.choice;
  const q = colourParams(c);
  q.set('lang', c.locale);
  if (c.topics.length) q.set('topics', c.topics.join(','));
  const snippet = (id: string, title: string, help: string, code: string) => html`<section>
<h2 id="${id}-h">${title}</h2>
<p class="note">${help}</p>
<label for="${id}">Snippet (select all and copy)</label>
<textarea id="${id}" readonly rows="${code.split('\n').length + 1}" spellcheck="false">${code}</textarea>
</section>`;
  return html`<section>
<h2>Where it may appear</h2>
${
  o.embedOrigins.length
    ? html`<p>Sites allowed to embed the sign-up box (<code>EMBED_ORIGINS</code>): ${o.embedOrigins.map((x, i) => html`${i ? ', ' : ''}<code>${x}</code>`)}.</p>`
    : html`<p class="error" role="alert">No site may embed the sign-up box yet: set <code>EMBED_ORIGINS</code> to the news site's origin (for example <code>https://berita.example.com</code>).</p>`
}
<form method="get" action="/admin/embed">
<div class="row">
  <div><label for="locale">Language</label><select id="locale" name="locale">
    <option value="id"${c.locale === 'id' ? html` selected` : ''}>Bahasa Indonesia</option>
    <option value="en"${c.locale === 'en' ? html` selected` : ''}>English</option>
  </select></div>
  <div><label for="accent">Accent colour (hex)</label><input type="text" id="accent" name="accent" value="${c.accent ?? ''}" placeholder="#b00d27"></div>
  <div><label for="bg">Background (hex)</label><input type="text" id="bg" name="bg" value="${c.bg ?? ''}" placeholder="#ffffff"></div>
  <div><label for="text">Text colour (hex)</label><input type="text" id="text" name="text" value="${c.text ?? ''}" placeholder="#1a1a1a"></div>
</div>
<fieldset class="inline"><legend>Topics (none = every breaking alert)</legend>
${o.topics.map((t) => html`<label><input type="checkbox" name="topics" value="${t}"${c.topics.includes(t) ? html` checked` : ''}> ${o.topicNames[t] ?? t}</label>`)}
</fieldset>
<div class="actions"><button type="submit">Update snippets and preview</button></div>
</form>
</section>
<section>
<h2>Live preview</h2>
<iframe src="/embed?${q.toString()}" title="Sign-up box preview" style="height:15rem;max-width:40rem"></iframe>
</section>
<p class="note">Replace <code>ARTICLE_URL</code> with the article's address (your CMS template can fill it in): sign-ups are counted per article on the dashboard. ${o.challenge ? 'The proof-of-work challenge is on (SIGNUP_CHALLENGE=altcha): every snippet needs JavaScript.' : ''}</p>
${snippet('snippet-form', '1. Plain HTML form', 'No JavaScript. Posts to Kilat, which shows its “check your inbox” page with a link back to the article. Optional: a hidden “redirect” field naming a page on an allowed site to send the reader back to instead.', formSnippet(o.base, o.strings, c, o.challenge))}
${snippet('snippet-iframe', '2. Iframe', 'A compact sign-up page that follows your colours and sets its own height (the script line below the iframe).', iframeSnippet(o.base, o.strings, c))}
${snippet('snippet-script', '3. Script', 'Renders an accessible inline form into the div; the div reserves its height so nothing on the page moves.', scriptSnippet(o.base, c))}`;
}

/** Sign-ups and confirmations per day and source: the articles that bring readers in. */
export function signupStatsSection(rows: SignupStatsRow[], range: { from: string; to: string }): SafeHtml {
  return html`<section aria-labelledby="signup-sources">
<h2 id="signup-sources">Sign-ups by source, ${range.from} to ${range.to}</h2>
${
  rows.length === 0
    ? html`<p>No sign-ups in this period.</p>`
    : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Day</th><th scope="col">Source</th><th scope="col">Form</th><th scope="col">Sign-ups</th><th scope="col">Confirmed</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><td>${r.day}</td><td class="reason">${r.source || '(direct)'}</td><td>${r.kind}</td><td>${r.signups}</td><td>${r.confirmations}</td></tr>`)}</tbody>
</table></div>`
}
<p class="note"><a href="/admin/embed">Embed the sign-up box on your articles</a> · JSON: <code>GET /api/stats/signups?from=${range.from}&amp;to=${range.to}</code></p>
</section>`;
}
