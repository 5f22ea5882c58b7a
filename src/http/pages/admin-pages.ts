import type { AlertStatus } from '../../alerts/alert-store';
import type { Preview } from '../../newsroom/preview';
import { CURVE_BUCKET_MS } from '../../ops/metrics-recorder';
import { html, SafeHtml } from './html';

// Colours chosen for at least 4.5:1 contrast on their backgrounds (WCAG AA).
const STYLE = `
:root { color-scheme: light; --accent: #b00d27; --ink: #1a1a1a; --muted: #4a4a4a; --line: #c8c8c8; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--ink); background: #f4f4f4; }
header { background: var(--accent); color: #fff; padding: .6rem 1rem; display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
header strong { letter-spacing: .12em; }
header a, header button.link { color: #fff; }
header .who { font-weight: 600; overflow-wrap: anywhere; }
header nav { margin-left: auto; display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: center; }
main { max-width: 72rem; margin: 1rem auto; padding: 0 1rem; }
section { background: #fff; padding: 1rem 1.25rem; border-radius: 6px; margin-bottom: 1rem; }
h1 { font-size: 1.5rem; margin: .25rem 0 1rem; } h2 { font-size: 1.2rem; margin: 0 0 .75rem; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
.table-wrap { overflow-x: auto; }
label { display: block; font-weight: 600; margin: .75rem 0 .3rem; }
input[type=text], input[type=url], input[type=email], input[type=password], textarea, select { width: 100%; font: inherit; padding: .5rem .6rem; border: 2px solid #767676; border-radius: 4px; background: #fff; color: var(--ink); }
textarea { min-height: 10rem; }
fieldset { border: 0; padding: 0; margin: .75rem 0 0; } legend { font-weight: 600; margin-bottom: .3rem; }
.inline label { display: inline-flex; align-items: center; gap: .35rem; font-weight: 400; margin: .2rem 1rem .2rem 0; }
.inline.scopes label { display: flex; align-items: baseline; }
.row { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 0 1rem; }
.actions { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin-top: 1rem; }
button { font: inherit; font-weight: 700; padding: .6rem 1.1rem; border: 2px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
.actions > .grow { flex: 1 1 16rem; max-width: 26rem; }
a.button { display: inline-block; font-weight: 700; padding: .6rem 1.1rem; border: 2px solid var(--accent); border-radius: 4px; background: #fff; color: var(--accent); text-decoration: none; }
button.link { background: none; border: 0; padding: 0; text-decoration: underline; font-weight: 400; }
:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
progress { width: 8rem; height: 1rem; accent-color: var(--accent); }
.error { color: #8a0010; background: #fdecee; border-left: 4px solid var(--accent); padding: .5rem .75rem; }
.ok { color: #0b5b21; background: #e8f5ec; border-left: 4px solid #0b5b21; padding: .5rem .75rem; }
.note { color: var(--muted); font-size: .9rem; }
.previews { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; }
iframe { width: 100%; height: 32rem; border: 1px solid var(--line); background: #fff; }
pre { white-space: pre-wrap; background: #f7f7f7; padding: .75rem; border: 1px solid var(--line); max-height: 20rem; overflow: auto; }
svg text { font: 12px system-ui, sans-serif; fill: var(--muted); }
.state { font-weight: 600; }
.reason { overflow-wrap: anywhere; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1rem; margin: .5rem 0; }
dt { font-weight: 600; } dd { margin: 0; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(8.5rem, 1fr)); gap: .75rem; margin: .5rem 0; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .75rem; }
.tile strong { display: block; font-size: 1.6rem; line-height: 1.2; }
.tile span { display: block; overflow-wrap: anywhere; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
ul.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; }
h3 { font-size: 1rem; margin: .75rem 0 .4rem; }
/* A phone scrolls the chart sideways rather than shrinking its labels below reading size. */
figure.chart { margin: 0; overflow-x: auto; } figure.chart svg { min-width: 34rem; }
@media (max-width: 30rem) { dl { grid-template-columns: 1fr; } dd { margin-bottom: .4rem; } }
/* A stacked table reads as one card per row on a phone (the audit log: long targets need the width). */
@media (max-width: 40rem) { table.stack thead { display: none; } table.stack tr { display: block; padding: .4rem 0; border-bottom: 1px solid var(--line); } table.stack td { display: block; border: 0; padding: .1rem .3rem; } table.stack td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; } table.stack td.wide { display: block; } }
@media (max-width: 40rem) { .wide { display: none; } th, td { padding: .35rem .3rem; } progress { width: 4.5rem; } .progress-text { display: block; font-size: .9rem; } }
`;

/**
 * `viewer`: the key the page was opened with: its name is shown beside Sign out (a shared screen says whose session it
 * is), and the links to admin-only pages are left out for keys without the admin scope.
 */
export function adminLayout(o: { title: string; body: SafeHtml; signedIn: boolean; siteName: string; refreshSeconds?: number; viewer?: { name: string; admin: boolean; subscribers?: boolean } }): string {
  const adminLinks = !o.viewer || o.viewer.admin;
  const subscriberLinks = !o.viewer || o.viewer.admin || o.viewer.subscribers === true;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${o.refreshSeconds ? html`<meta http-equiv="refresh" content="${o.refreshSeconds}">` : ''}
<title>${o.title} · ${o.siteName} newsroom</title>
<style>${new SafeHtml(STYLE)}</style>
</head>
<body>
<header><strong>${o.siteName}</strong> <span>Newsroom</span>
${o.signedIn ? html`<nav aria-label="Admin"><a href="/admin">Alerts</a>${subscriberLinks ? html`<a href="/admin/subscribers">Audience</a>` : ''}<a href="/admin/embed">Embed</a>${adminLinks ? html`<a href="/admin/queues">Queues</a><a href="/admin/keys">Keys</a><a href="/admin/audit">Audit</a>` : ''}${o.viewer ? html`<span class="who">${o.viewer.name}</span>` : ''}<form method="post" action="/admin/logout"><button class="link" type="submit">Sign out</button></form></nav>` : ''}
</header>
<main>
<h1>${o.title}</h1>
${o.body}
</main>
</body>
</html>`.value;
}

export function loginForm(next: string, error?: string): SafeHtml {
  return html`<section>
${error ? html`<p class="error" role="alert" id="login-error">${error}</p>` : ''}
<form method="post" action="/admin/login">
  <input type="hidden" name="next" value="${next}">
  <label for="token">API key</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required${error ? html` aria-invalid="true" aria-describedby="login-error"` : ''}>
  <div class="actions"><button type="submit">Sign in</button></div>
</form>
<p class="note">Your own API key (an admin creates it at Keys), or the service's PUBLISHER_TOKEN. Signing in sets a cookie for /admin only, valid for 12 hours, and ends at once if the key is revoked.</p>
</section>`;
}

export interface ArticleFormValues {
  title?: string;
  url?: string;
  summary?: string;
  body?: string;
  locale?: string;
  topics?: string[];
  breaking?: boolean;
  testTo?: string;
  /** Lines the editor chose to keep although Kilat would leave them out. */
  keep?: string[];
  /** Send at this time instead of now (ISO 8601 with offset). */
  publishAt?: string;
  /** An update of this alert (and its headline, shown above the form). */
  updates?: string;
  updatesTitle?: string;
}

export function composeForm(topics: string[], topicNames: Record<string, string>, v: ArticleFormValues, message?: { kind: 'ok' | 'error'; text: string }): SafeHtml {
  return html`<section aria-labelledby="compose-h">
<h2 id="compose-h">${v.updates ? `Update of alert ${v.updates}` : 'New alert'}</h2>
${message ? html`<p class="${message.kind}" role="${message.kind === 'error' ? 'alert' : 'status'}">${message.text}</p>` : ''}
${v.updates ? html`<p class="note" id="update-note">Readers who got “${v.updatesTitle ?? `alert ${v.updates}`}” receive this as an update in the same conversation, under its subject; new readers get it as an ordinary alert. Put what changed in the summary: it comes first.</p>` : ''}
<form method="post" action="/admin/preview" id="compose">
  ${v.updates ? html`<input type="hidden" name="updates" value="${v.updates}"><input type="hidden" name="updatesTitle" value="${v.updatesTitle ?? ''}">` : ''}
  ${(v.keep ?? []).map((k) => html`<input type="hidden" name="keep" value="${k}">`)}
  <label for="title">Headline</label>
  <input id="title" name="title" type="text" maxlength="300" required value="${v.title ?? ''}">
  <div class="row">
    <div><label for="url">Article URL (optional)</label><input id="url" name="url" type="url" value="${v.url ?? ''}"></div>
    <div><label for="locale">Language</label>
      <select id="locale" name="locale">
        <option value="id"${v.locale !== 'en' ? html` selected` : ''}>Bahasa Indonesia</option>
        <option value="en"${v.locale === 'en' ? html` selected` : ''}>English</option>
      </select></div>
  </div>
  <label for="summary">Summary (optional)</label>
  <input id="summary" name="summary" type="text" maxlength="2000" value="${v.summary ?? ''}">
  <label for="body">Story (blank lines separate paragraphs)</label>
  <textarea id="body" name="body" required>${v.body ?? ''}</textarea>
  <fieldset class="inline"><legend>Topics (none: everyone)</legend>
    ${topics.map((t) => html`<label><input type="checkbox" name="topics" value="${t}"${v.topics?.includes(t) ? html` checked` : ''}> ${topicNames[t] ?? t}</label>`)}
  </fieldset>
  <fieldset class="inline"><legend>Kind</legend>
    <label><input type="checkbox" name="breaking" value="false"${v.breaking === false ? html` checked` : ''}> Not breaking: daily digest only</label>
  </fieldset>
  <label for="publishAt">Send at (optional; empty sends now)</label>
  <input id="publishAt" name="publishAt" type="text" inputmode="numeric" placeholder="2026-12-02T14:00+07:00" value="${v.publishAt ?? ''}" aria-describedby="publishAt-help">
  <p class="note" id="publishAt-help">ISO 8601 with the UTC offset, at most 30 days ahead. The alert waits as scheduled; you can reschedule or cancel it until then.</p>
  <div class="actions">
    <button type="submit" class="secondary">Preview</button>
    <div><label for="testTo">Test address</label><input id="testTo" name="testTo" type="email" autocomplete="email" value="${v.testTo ?? ''}"></div>
    <button type="submit" class="secondary" formaction="/admin/test-send">Send test</button>
    <button type="submit" formaction="/admin/publish">${v.updates ? 'Publish update' : 'Publish alert'}</button>
  </div>
</form>
</section>`;
}

export function previewSection(preview: Preview): SafeHtml {
  return html`<section aria-labelledby="preview-h">
<h2 id="preview-h">Preview</h2>
<div class="previews">
${(Object.keys(preview) as (keyof Preview)[]).map(
  (locale) => html`<div>
  <h3>${locale === 'id' ? 'Bahasa Indonesia' : 'English'}: ${preview[locale].subject}</h3>
  <iframe title="Email preview (${locale})" sandbox="allow-same-origin" srcdoc="${preview[locale].html}"></iframe>
  <details><summary>Plain-text version</summary><pre>${preview[locale].text}</pre></details>
</div>`,
)}
</div>
</section>`;
}

export const percent = (s: AlertStatus) => (s.total > 0 ? Math.min(100, Math.round(((s.sent + s.failed + s.skipped) / s.total) * 100)) : s.state === 'completed' ? 100 : 0);

export function alertsTable(alerts: AlertStatus[]): SafeHtml {
  if (alerts.length === 0) return html`<section><h2>Recent alerts</h2><p>No alerts yet.</p></section>`;
  return html`<section aria-labelledby="recent-h"><h2 id="recent-h">Recent alerts</h2><div class="table-wrap"><table>
<thead><tr><th scope="col" class="wide">#</th><th scope="col">Headline</th><th scope="col">State</th><th scope="col">Progress</th><th scope="col" class="wide">Created</th></tr></thead>
<tbody>
${alerts.map(
  (a) => html`<tr><td class="wide">${a.id}</td><td><a href="/admin/alerts/${a.id}">${a.title}</a></td><td class="state">${a.state}${a.state === 'paused' && a.pausedBy === 'kilat' ? ' by Kilat' : ''}</td>
<td><progress max="100" value="${percent(a)}" aria-label="Alert ${a.id} progress">${percent(a)}%</progress> <span class="progress-text">${a.sent} of ${a.total} sent${a.failed ? html`, ${a.failed} failed` : ''}</span></td>
<td class="wide">${a.createdAt.replace('T', ' ').slice(0, 19)} UTC</td></tr>`,
)}
</tbody></table></div></section>`;
}

/** Cumulative sent over time as an inline SVG (no script, so the page works without JavaScript). */
export function deliveryCurve(curve: [number, number][], createdAtMs: number, total: number, finished = false): SafeHtml {
  if (curve.length === 0) return html`<p>${finished ? 'No emails were sent for this alert (no subscriber matched it).' : 'Nothing sent yet.'}</p>`;
  const W = 640;
  const H = 200;
  const pad = { l: 48, r: 12, t: 10, b: 32 };
  // A step line: flat until a bucket, then up by what that bucket sent.
  const points: [number, number][] = [[0, 0]];
  let sum = 0;
  for (const [startMs, n] of curve) {
    points.push([Math.max(0, (startMs - createdAtMs) / 1000), sum]);
    sum += n;
    points.push([Math.max(0, (startMs + CURVE_BUCKET_MS - createdAtMs) / 1000), sum]);
  }
  const maxX = Math.max(1, points[points.length - 1]![0]);
  const maxY = Math.max(1, total, sum);
  const x = (v: number) => pad.l + (v / maxX) * (W - pad.l - pad.r);
  const y = (v: number) => H - pad.b - (v / maxY) * (H - pad.t - pad.b);
  const line = points.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ');
  const summary = `${sum} sent over ${maxX < 10 ? maxX.toFixed(1) : maxX.toFixed(0)} s`;
  return html`<figure>
<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="curve-title">
<title id="curve-title">Delivery curve: ${summary}</title>
<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="#767676"/>
<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}" stroke="#767676"/>
<line x1="${pad.l}" y1="${y(maxY * 0.9).toFixed(1)}" x2="${W - pad.r}" y2="${y(maxY * 0.9).toFixed(1)}" stroke="#767676" stroke-dasharray="4 4"/>
<text x="${pad.l - 6}" y="${y(maxY * 0.9) + 4}" text-anchor="end">90%</text>
<text x="${pad.l - 6}" y="${pad.t + 10}" text-anchor="end">${maxY}</text>
<text x="${pad.l - 6}" y="${H - pad.b}" text-anchor="end">0</text>
<text x="${W - pad.r}" y="${H - 8}" text-anchor="end">${maxX < 10 ? maxX.toFixed(1) : maxX.toFixed(0)} s after publish</text>
<polyline fill="none" stroke="#b00d27" stroke-width="2.5" points="${line}"/>
</svg>
<figcaption class="note">Sent over time (cumulative): ${summary}.</figcaption>
</figure>`;
}

export function alertDetail(a: AlertStatus & { p90Seconds?: number }, curve: SafeHtml): SafeHtml {
  const controls: { action: string; label: string; when: string[] }[] = [
    { action: 'pause', label: 'Pause', when: ['queued', 'sending'] },
    { action: 'resume', label: 'Resume', when: ['paused'] },
    { action: 'cancel', label: 'Cancel alert', when: ['scheduled', 'queued', 'sending', 'paused'] },
  ];
  const scheduled =
    a.state === 'scheduled'
      ? html`<form method="post" action="/admin/alerts/${a.id}/reschedule" class="actions" id="reschedule"><div class="grow"><label for="publishAt">Send at</label><input id="publishAt" name="publishAt" type="text" required value="${a.publishAt ?? ''}"></div><button type="submit" class="secondary">Reschedule</button></form>`
      : '';
  // An update makes sense once the alert has gone out (or started to); a scheduled one is edited instead.
  const update = a.state !== 'scheduled' && a.state !== 'failed' ? html`<p><a class="button" id="update-alert" href="/admin?updates=${a.id}">Update this alert</a></p>` : '';
  const available = controls.filter((c) => c.when.includes(a.state));
  return html`<section>
<p><a href="/admin">← All alerts</a></p>
<dl>
<dt>Headline</dt><dd>${a.title}</dd>
<dt>State</dt><dd class="state">${a.state}${a.state === 'paused' && a.pausedBy === 'kilat' ? ' by Kilat' : ''}</dd>
${a.reason ? html`<dt>Reason</dt><dd class="reason" id="alert-reason">${a.reason}${a.state === 'paused' && a.pausedBy === 'kilat' ? html` <strong>Nothing was counted against any subscriber. Fix it, then resume.</strong>` : ''}</dd>` : ''}
${a.state === 'scheduled' ? '' : html`<dt>Progress</dt><dd><progress max="100" value="${percent(a)}" aria-label="Progress">${percent(a)}%</progress> ${a.sent} sent, ${a.failed} failed, ${a.skipped} skipped of ${a.total}</dd>`}
<dt>Language and topics</dt><dd>${a.locale}${a.topics.length ? html` · ${a.topics.join(', ')}` : ''}</dd>
<dt>Created</dt><dd>${a.createdAt}</dd>
${a.publishAt ? html`<dt>${a.state === 'scheduled' ? 'Scheduled for' : 'Was scheduled for'}</dt><dd id="publish-at">${a.publishAt}</dd>` : ''}
${a.updates ? html`<dt>Update of</dt><dd><a href="/admin/alerts/${a.updates}">alert ${a.updates}</a>${a.threadRoot && a.threadRoot !== a.updates ? html` (story started with <a href="/admin/alerts/${a.threadRoot}">alert ${a.threadRoot}</a>)` : ''}</dd>` : ''}
${a.completedAt ? html`<dt>Completed</dt><dd>${a.completedAt}</dd>` : ''}
${a.p90Seconds !== undefined ? html`<dt>Publish to 90% sent</dt><dd>${a.p90Seconds.toFixed(2)} s</dd>` : ''}
</dl>
${scheduled}
${available.length ? html`<div class="actions">${available.map((c) => html`<form method="post" action="/admin/alerts/${a.id}/${c.action}"><button type="submit"${c.action === 'cancel' ? '' : html` class="secondary"`}>${c.label}</button></form>`)}</div>` : ''}
${update}
</section>
<section aria-labelledby="curve-h"><h2 id="curve-h">Delivery curve</h2>${a.state === 'scheduled' ? html`<p>Nothing sent yet: the alert goes out at its scheduled time.</p>` : curve}</section>`;
}

const share = (n: number, of: number) => (of > 0 ? `${((n / of) * 100).toFixed(n > 0 && n / of < 0.001 ? 2 : 1)}% of sent` : '');

/** What readers did after the alert (AlertStatus.outcomes): counters kept as events happen. */
export function alertOutcomesSection(a: AlertStatus, clickTracking: boolean): SafeHtml {
  const o = a.outcomes;
  const tile = (id: string, n: number | string, label: string, note: string) =>
    html`<div class="tile" id="${id}"><strong>${n}</strong><span>${label}</span>${note ? html`<span class="note">${note}</span>` : ''}</div>`;
  const clicks =
    clickTracking || o.clicks.total > 0
      ? html`${tile('outcome-unique-clicks', o.clicks.unique, 'readers clicked "Read more"', share(o.clicks.unique, a.sent))}${tile('outcome-clicks', o.clicks.total, 'clicks in all', 'at most 3 per reader')}`
      : tile('outcome-clicks', 'off', 'click tracking', 'CLICK_TRACKING=on counts "Read more" clicks');
  return html`<section aria-labelledby="outcomes-h"><h2 id="outcomes-h">What readers did</h2>
<div class="tiles">
${tile('outcome-unsubscribed', o.unsubscribed, 'unsubscribed from this alert', share(o.unsubscribed, a.sent))}
${tile('outcome-bounced', o.bounced, 'bounce reports', 'refusals while sending are under failed')}
${tile('outcome-complained', o.complained, 'spam complaints', share(o.complained, a.sent))}
${clicks}
</div>
<p class="note">Counted as they happen. Opens are not counted: mail privacy proxies fetch every image, so an "open" says little about a reader.${clickTracking ? ' Link scanners that follow every link count as clicks too.' : ''}</p>
</section>`;
}
