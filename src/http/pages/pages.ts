import type { Locale } from '../../config';
import type { PageKey, Strings } from '../../i18n';
import { html, SafeHtml } from './html';

const STYLE = `
:root { color-scheme: light; --accent: #b00d27; --ink: #1a1a1a; --muted: #4a4a4a; }
* { box-sizing: border-box; }
body { margin: 0; font: 17px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--ink); background: #f4f4f4; }
header { background: var(--accent); color: #fff; padding: .6rem 1rem; font-weight: 700; letter-spacing: .12em; }
header a { color: #fff; }
main { max-width: 36rem; margin: 1.5rem auto; background: #fff; padding: 1.5rem; border-radius: 6px; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 .75rem; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 .25rem; }
label { display: block; font-weight: 600; margin: 1rem 0 .35rem; }
input[type=email], select { width: 100%; font: inherit; padding: .6rem .7rem; border: 2px solid #767676; border-radius: 4px; }
fieldset { border: 0; padding: 0; margin: 1rem 0 0; }
legend { font-weight: 600; margin-bottom: .35rem; }
.topics label { display: inline-flex; align-items: center; gap: .35rem; font-weight: 400; margin: .25rem 1rem .25rem 0; }
button { font: inherit; font-weight: 700; margin-top: 1.25rem; padding: .7rem 1.4rem; border: 0; border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); border: 2px solid var(--accent); }
:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
.error { color: #8a0010; background: #fdeceE; border-left: 4px solid var(--accent); padding: .5rem .75rem; }
.note { color: var(--muted); font-size: .9rem; }
.lang { float: right; font-weight: 400; letter-spacing: 0; }
`;

export interface PageOptions {
  locale: Locale;
  strings: Strings;
  siteName: string;
  title: string;
  body: SafeHtml;
  /** Link to the same page in the other language, when the page has one. */
  switchHref?: string;
}

export function layout(o: PageOptions): string {
  return html`<!doctype html>
<html lang="${o.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · ${o.siteName}</title>
<style>${new SafeHtml(STYLE)}</style>
</head>
<body>
<header>${o.siteName}${o.switchHref ? html`<a class="lang" href="${o.switchHref}" hreflang="${o.locale === 'id' ? 'en' : 'id'}">${o.strings.page.switchLanguage}</a>` : ''}</header>
<main>
<h1>${o.title}</h1>
${o.body}
</main>
</body>
</html>`.value;
}

export interface SignupFormValues {
  email?: string;
  locale: Locale;
  topics: string[];
}

export function signupForm(s: Strings, topics: string[], values: SignupFormValues, error?: string, challenge = false): SafeHtml {
  const p = s.page;
  // SIGNUP_CHALLENGE=altcha: /embed.js solves the proof of work when the form is sent.
  return html`
<p>${p.intro}</p>
${error ? html`<p class="error" role="alert" id="form-error">${error}</p>` : ''}
${challenge ? html`<script src="/embed.js" async></script>` : ''}
<form method="post" action="/subscribe"${challenge ? html` data-kilat-challenge` : ''} novalidate>
  <label for="email">${p.emailLabel}</label>
  <input id="email" name="email" type="email" autocomplete="email" required value="${values.email ?? ''}"${error ? html` aria-invalid="true" aria-describedby="form-error"` : ''}>
  <label for="locale">${p.languageLabel}</label>
  <select id="locale" name="locale">
    <option value="id"${values.locale === 'id' ? html` selected` : ''}>Bahasa Indonesia</option>
    <option value="en"${values.locale === 'en' ? html` selected` : ''}>English</option>
  </select>
  ${topicsFieldset(s, topics, values.topics)}
  <button type="submit">${p.submit}</button>
</form>
<p class="note">${p.privacy}</p>`;
}

export function topicsFieldset(s: Strings, topics: string[], selected: string[]): SafeHtml {
  return html`<fieldset class="topics">
    <legend>${s.page.topicsLabel}</legend>
    ${topics.map(
      (t) => html`<label><input type="checkbox" name="topics" value="${t}"${selected.includes(t) ? html` checked` : ''}> ${s.page.topics[t] ?? t}</label>`,
    )}
  </fieldset>`;
}

export function messageBody(text: string, back?: { href: string; label: string }): SafeHtml {
  return html`<p>${text}</p>${back ? html`<p><a href="${back.href}">${back.label}</a></p>` : ''}`;
}

/** A confirmation button: GET never changes anything, the POST does (link scanners only GET). */
export function unsubscribeForm(s: Strings, action: string, email: string): SafeHtml {
  return html`<p>${s.page.unsubscribeQuestion}</p>
<p><strong>${email}</strong></p>
<form method="post" action="${action}">
  <input type="hidden" name="List-Unsubscribe" value="One-Click">
  <input type="hidden" name="via" value="footer">
  <button type="submit">${s.page.unsubscribeButton}</button>
</form>`;
}

const STATUS_KEYS: Record<string, PageKey> = {
  pending: 'statusPending',
  confirmed: 'statusConfirmed',
  paused: 'statusPaused',
  unsubscribed: 'statusUnsubscribed',
  bounced: 'statusBounced',
  complained: 'statusComplained',
};

/** Every breaking alert (the default) or one daily digest. */
export function frequencyFieldset(s: Strings, frequency: 'breaking' | 'digest'): SafeHtml {
  const p = s.page;
  return html`<fieldset class="topics">
    <legend>${p.frequencyLabel}</legend>
    <label><input type="radio" name="frequency" value="breaking"${frequency === 'breaking' ? html` checked` : ''}> ${p.frequencyBreaking}</label>
    <label><input type="radio" name="frequency" value="digest"${frequency === 'digest' ? html` checked` : ''}> ${p.frequencyDigest}</label>
  </fieldset>`;
}

export function preferencesForm(
  s: Strings,
  topics: string[],
  o: { action: string; unsubscribeAction: string; email: string; status: string; locale: Locale; selected: string[]; saved?: string; frequency?: 'breaking' | 'digest' },
): SafeHtml {
  const p = s.page;
  const statusKey = STATUS_KEYS[o.status];
  const statusText = statusKey ? p[statusKey] : o.status;
  const actionButton = (action: string, label: string | undefined, secondary = true) =>
    html`<form method="post" action="${o.action}"><input type="hidden" name="action" value="${action}"><button type="submit"${secondary ? html` class="secondary"` : ''}>${label}</button></form>`;
  return html`${o.saved ? html`<p class="note" role="status">${o.saved}</p>` : ''}
<p><strong>${o.email}</strong> · ${p.statusLabel}: ${statusText}</p>
<form method="post" action="${o.action}">
  <label for="locale">${p.languageLabel}</label>
  <select id="locale" name="locale">
    <option value="id"${o.locale === 'id' ? html` selected` : ''}>Bahasa Indonesia</option>
    <option value="en"${o.locale === 'en' ? html` selected` : ''}>English</option>
  </select>
  ${topicsFieldset(s, topics, o.selected)}
  ${o.frequency ? frequencyFieldset(s, o.frequency) : ''}
  <button type="submit">${p.preferencesSave}</button>
</form>
${o.status === 'confirmed' ? html`<h2>${p.pauseHeading}</h2><p class="note">${p.pauseHelp}</p>${actionButton('pause', p.pauseButton)}` : ''}
${o.status === 'paused' ? html`<h2>${p.pauseHeading}</h2><p class="note">${p.pausedHelp}</p>${actionButton('resume', p.resumeButton, false)}` : ''}
${['confirmed', 'paused', 'pending'].includes(o.status)
    ? html`<form method="post" action="${o.unsubscribeAction}">
  <input type="hidden" name="List-Unsubscribe" value="One-Click">
  <input type="hidden" name="via" value="preferences">
  <button type="submit" class="secondary">${p.unsubscribeButton}</button>
</form>`
    : ''}
<h2>${p.dataHeading}</h2>
<p class="note">${p.dataHelp}</p>
${actionButton('export', p.exportButton)}
${actionButton('delete', p.deleteButton)}`;
}

/** The second step of deletion: nothing is deleted until this form is sent. */
export function deleteConfirmForm(s: Strings, action: string, email: string): SafeHtml {
  return html`<p>${s.page.deleteQuestion}</p>
<p><strong>${email}</strong></p>
<form method="post" action="${action}">
  <input type="hidden" name="action" value="delete">
  <input type="hidden" name="confirm" value="yes">
  <button type="submit">${s.page.deleteConfirmButton}</button>
</form>
<p><a href="${action}">${s.page.deleteCancel}</a></p>`;
}
