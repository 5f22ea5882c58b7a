import type { AudienceDay, AudienceTotals } from '../../subscribers/audience-stats';
import { STATUSES } from '../../subscribers/audience-stats';
import type { SubscriberView } from '../../subscribers/subscriber-admin';
import { UNSUBSCRIBE_HOWS } from '../../subscribers/subscriber-store';
import { html, type SafeHtml } from './html';

const STATUS_HELP: Record<string, string> = {
  pending: 'signed up, not yet confirmed',
  confirmed: 'receive alerts',
  paused: 'paused alerts themselves',
  unsubscribed: 'left',
  bounced: 'address does not accept mail',
  complained: 'marked an alert as spam',
};
const HOW_LABEL: Record<string, string> = { 'one-click': 'one-click (mail client)', footer: 'footer link', preferences: 'preferences page', newsroom: 'newsroom', other: 'other' };
const fmt = (n: number) => n.toLocaleString('en-US');

export function audienceTotalsSection(t: AudienceTotals, topicNames: Record<string, string>, localeNames: Record<string, string>): SafeHtml {
  const confirmed = t.byStatus.confirmed;
  const topics = Object.entries(t.byTopic).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return html`<section aria-labelledby="totals-h">
<h2 id="totals-h">Subscribers</h2>
<div class="row">
<div><h3>By status</h3><div class="table-wrap"><table id="by-status">
<thead><tr><th scope="col">Status</th><th scope="col" class="num">Subscribers</th></tr></thead>
<tbody>${STATUSES.map((s) => html`<tr><th scope="row">${s} <span class="note">${STATUS_HELP[s]}</span></th><td class="num" data-status="${s}">${fmt(t.byStatus[s])}</td></tr>`)}
<tr><th scope="row">All records</th><td class="num">${fmt(t.total)}</td></tr></tbody></table></div></div>
<div><h3>Confirmed, by language</h3><div class="table-wrap"><table id="by-locale">
<thead><tr><th scope="col">Language</th><th scope="col" class="num">Confirmed</th></tr></thead>
<tbody>${Object.entries(localeNames).map(([l, name]) => html`<tr><th scope="row">${name}</th><td class="num" data-locale="${l}">${fmt(t.byLocale[l] ?? 0)}</td></tr>`)}</tbody></table></div>
<h3>Confirmed, by topic</h3><div class="table-wrap"><table id="by-topic">
<thead><tr><th scope="col">Topic</th><th scope="col" class="num">Chose it</th></tr></thead>
<tbody>${topics.map(([topic, n]) => html`<tr><th scope="row">${topicNames[topic] ?? topic}</th><td class="num" data-topic="${topic}">${fmt(n)}</td></tr>`)}
<tr><th scope="row">No topic chosen (every alert)</th><td class="num" data-topic="">${fmt(t.allTopics)}</td></tr></tbody></table></div>
<p class="note">A reader may choose several topics; ${fmt(confirmed)} confirmed in all.</p></div>
</div>
</section>`;
}

const SERIES: { key: 'signups' | 'confirmations' | 'unsubscribes' | 'bounces' | 'complaints'; label: string; colour: string; dash: string }[] = [
  { key: 'signups', label: 'Sign-ups', colour: '#1a5fb4', dash: '' },
  { key: 'confirmations', label: 'Confirmations', colour: '#0b5b21', dash: '6 3' },
  { key: 'unsubscribes', label: 'Unsubscribes', colour: '#b00d27', dash: '2 3' },
  { key: 'bounces', label: 'Bounces', colour: '#7a4b00', dash: '10 4 2 4' },
  { key: 'complaints', label: 'Complaints', colour: '#5c2d91', dash: '1 6' },
];
const valueOf = (d: AudienceDay, key: (typeof SERIES)[number]['key']) => (key === 'unsubscribes' ? d.unsubscribes.total : d[key]);

/** The daily events as an inline SVG (no script) with the figures as a table beside it. */
export function audienceChartSection(days: AudienceDay[], span: number): SafeHtml {
  const W = 640;
  const H = 220;
  const pad = { l: 40, r: 12, t: 12, b: 30 };
  const maxY = Math.max(1, ...days.flatMap((d) => SERIES.map((s) => valueOf(d, s.key))));
  const x = (i: number) => pad.l + (days.length <= 1 ? 0 : (i / (days.length - 1)) * (W - pad.l - pad.r));
  const y = (v: number) => H - pad.b - (v / maxY) * (H - pad.t - pad.b);
  const sum = (key: (typeof SERIES)[number]['key']) => days.reduce((n, d) => n + valueOf(d, key), 0);
  const how = Object.fromEntries(UNSUBSCRIBE_HOWS.map((h) => [h, days.reduce((n, d) => n + d.unsubscribes[h], 0)]));
  const first = days[0]?.day ?? '';
  const last = days[days.length - 1]?.day ?? '';
  const summary = SERIES.map((s) => `${sum(s.key)} ${s.label.toLowerCase()}`).join(', ');
  return html`<section aria-labelledby="daily-h">
<h2 id="daily-h">Last ${span} days</h2>
<p><a href="/admin/subscribers?days=30"${span === 30 ? html` aria-current="page"` : ''}>30 days</a> · <a href="/admin/subscribers?days=90"${span === 90 ? html` aria-current="page"` : ''}>90 days</a> <span class="note">(UTC days, ${first} to ${last})</span></p>
<ul class="legend" id="period-totals">
${SERIES.map((s) => html`<li><svg width="28" height="10" aria-hidden="true"><line x1="0" y1="5" x2="28" y2="5" stroke="${s.colour}" stroke-width="3" stroke-dasharray="${s.dash}"/></svg> ${s.label}: <strong data-series="${s.key}">${fmt(sum(s.key))}</strong></li>`)}
</ul>
<p class="note" id="unsub-how">Unsubscribes by how: ${UNSUBSCRIBE_HOWS.filter((h) => h !== 'other' || how[h]! > 0).map((h, i) => html`${i ? ', ' : ''}${HOW_LABEL[h]} <strong data-how="${h}">${fmt(how[h]!)}</strong>`)}.</p>
<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="daily-title">
<title id="daily-title">Per day over ${span} days: ${summary}</title>
<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="#767676"/>
<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}" stroke="#767676"/>
<text x="${pad.l - 6}" y="${pad.t + 10}" text-anchor="end">${maxY}</text>
<text x="${pad.l - 6}" y="${H - pad.b}" text-anchor="end">0</text>
<text x="${pad.l}" y="${H - 8}">${first.slice(5)}</text>
<text x="${W - pad.r}" y="${H - 8}" text-anchor="end">${last.slice(5)}</text>
${SERIES.map((s) => html`<polyline fill="none" stroke="${s.colour}" stroke-width="2.5" stroke-dasharray="${s.dash}" points="${days.map((d, i) => `${x(i).toFixed(1)},${y(valueOf(d, s.key)).toFixed(1)}`).join(' ')}"/>`)}
</svg>
<figcaption class="note">Events per UTC day, counted as they happen.</figcaption>
</figure>
<details><summary>Figures per day</summary><div class="table-wrap"><table id="daily-table">
<thead><tr><th scope="col">Day</th><th scope="col" class="num">Sign-ups</th><th scope="col" class="num">Confirmed</th><th scope="col" class="num">Unsubscribed (one-click / footer / preferences / newsroom)</th><th scope="col" class="num">Bounces</th><th scope="col" class="num">Complaints</th></tr></thead>
<tbody>${[...days].reverse().map(
  (d) => html`<tr><th scope="row">${d.day}</th><td class="num">${d.signups}</td><td class="num">${d.confirmations}</td><td class="num">${d.unsubscribes.total} (${d.unsubscribes['one-click']} / ${d.unsubscribes.footer} / ${d.unsubscribes.preferences} / ${d.unsubscribes.newsroom})</td><td class="num">${d.bounces}</td><td class="num">${d.complaints}</td></tr>`,
)}</tbody></table></div></details>
</section>`;
}

export function lookupForm(o: { email?: string; message?: { kind: 'ok' | 'error'; text: string } } = {}): SafeHtml {
  return html`<section aria-labelledby="lookup-h">
<h2 id="lookup-h">Find a subscriber</h2>
${o.message ? html`<p class="${o.message.kind}" role="${o.message.kind === 'error' ? 'alert' : 'status'}" id="lookup-message">${o.message.text}</p>` : ''}
<form method="post" action="/admin/subscribers/lookup">
  <label for="lookup-email">Exact email address</label>
  <input id="lookup-email" name="email" type="email" autocomplete="off" required maxlength="320" value="${o.email ?? ''}"${o.message?.kind === 'error' ? html` aria-invalid="true" aria-describedby="lookup-message"` : ''}>
  <div class="actions"><button type="submit">Look up</button></div>
</form>
<p class="note">Only an exact address finds a subscriber (capitals and spaces aside); there is no list or search of addresses.</p>
</section>`;
}

const when = (iso: string | null) => (iso ? `${iso.replace('T', ' ').slice(0, 16)} UTC` : '—');

export function subscriberCard(s: SubscriberView, topicNames: Record<string, string>, opts: { confirmDelete?: boolean } = {}): SafeHtml {
  const hidden = html`<input type="hidden" name="email" value="${s.email}">`;
  const canLeave = ['confirmed', 'pending', 'paused'].includes(s.status);
  return html`<section aria-labelledby="subscriber-h" id="subscriber">
<h2 id="subscriber-h">${s.email}</h2>
<dl>
<dt>Status</dt><dd class="state" id="subscriber-status">${s.status}</dd>
<dt>Language</dt><dd>${s.locale === 'id' ? 'Bahasa Indonesia' : s.locale === 'en' ? 'English' : s.locale}</dd>
<dt>Topics</dt><dd>${s.topics.length ? s.topics.map((t) => topicNames[t] ?? t).join(', ') : 'every topic'}</dd>
${s.pendingChange ? html`<dt>Waiting for confirmation</dt><dd>${s.pendingChange.locale} · ${s.pendingChange.topics.length ? s.pendingChange.topics.join(', ') : 'every topic'}</dd>` : ''}
<dt>Signed up</dt><dd>${when(s.signedUpAt)}</dd>
<dt>Confirmed</dt><dd>${when(s.confirmedAt)}</dd>
<dt>Alerts received</dt><dd id="subscriber-received">${fmt(s.alertsReceived)}</dd>
<dt>Last bounce</dt><dd>${s.lastBounce ? `${s.lastBounce.kind === 'complaint' ? 'complaint' : `${s.lastBounce.kind} bounce`}, ${when(s.lastBounce.at)}` : 'none'}${s.softBounces ? html` · ${s.softBounces} temporary failure(s) in a row` : ''}</dd>
</dl>
${
  opts.confirmDelete
    ? html`<div class="error" role="alert"><p>Delete everything Kilat holds about ${s.email}? This cannot be undone; only a keyed hash of the address stays, so it is never mailed again unless its owner signs up anew.</p>
<form method="post" action="/admin/subscribers/delete">${hidden}<input type="hidden" name="confirm" value="yes"><div class="actions"><button type="submit">Yes, delete</button></div></form></div>`
    : html`<div class="actions">
${canLeave ? html`<form method="post" action="/admin/subscribers/unsubscribe">${hidden}<button type="submit" class="secondary">Unsubscribe</button></form>` : ''}
<form method="post" action="/admin/subscribers/export">${hidden}<button type="submit" class="secondary">Export data (JSON)</button></form>
<form method="post" action="/admin/subscribers/delete">${hidden}<button type="submit">Delete…</button></form>
</div>`
}
</section>`;
}
