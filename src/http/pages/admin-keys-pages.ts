import { NAME_MAX, SCOPES, type ApiKeyRecord, type Scope } from '../../ops/api-keys';
import type { AuditEntry } from '../../ops/audit-log';
import { html, type SafeHtml } from './html';

const SCOPE_HELP: Record<Scope, string> = {
  publish: 'publish, preview and test-send articles; pause, resume, cancel alerts',
  read: 'see alerts, their progress and the statistics',
  subscribers: 'look up, unsubscribe, export, delete and import subscribers',
  admin: 'everything, including keys, the audit log and the queues',
};

const when = (iso: string) => `${iso.replace('T', ' ').slice(0, 19)} UTC`;

export function keysPage(o: {
  keys: ApiKeyRecord[];
  created?: { key: ApiKeyRecord; secret: string };
  message?: { kind: 'ok' | 'error'; text: string };
  values?: { name?: string; scopes?: string[] };
}): SafeHtml {
  const chosen = new Set(o.values?.scopes ?? []);
  const created = o.created
    ? html`<section aria-labelledby="new-key-h" class="ok"><h2 id="new-key-h">Key created for ${o.created.key.name}</h2>
<p>Copy the secret now and hand it to its holder: it is shown only this once (Kilat keeps only a hash of it).</p>
<label for="new-secret">Secret of ${o.created.key.name}</label>
<input id="new-secret" type="text" readonly value="${o.created.secret}" spellcheck="false" autocomplete="off">
</section>`
    : '';
  const message = o.message ? html`<p class="${o.message.kind}" role="${o.message.kind === 'error' ? 'alert' : 'status'}" id="key-message">${o.message.text}</p>` : '';
  return html`${created}<section aria-labelledby="create-h"><h2 id="create-h">New key</h2>
${message}
<form method="post" action="/admin/keys">
  <label for="key-name">Name (who holds it)</label>
  <input id="key-name" name="name" type="text" maxlength="${NAME_MAX}" required value="${o.values?.name ?? ''}"${o.message?.kind === 'error' ? html` aria-describedby="key-message"` : ''}>
  <fieldset class="inline scopes"><legend>Scopes</legend>
  ${SCOPES.map((s) => html`<label><input type="checkbox" name="scopes" value="${s}"${chosen.has(s) ? html` checked` : ''}> <span><b>${s}</b>: ${SCOPE_HELP[s]}</span></label>`)}
  </fieldset>
  <div class="actions"><button type="submit">Create key</button></div>
</form>
</section>
<section aria-labelledby="keys-h"><h2 id="keys-h">Keys</h2><div class="table-wrap"><table>
<thead><tr><th scope="col">Name</th><th scope="col">Scopes</th><th scope="col" class="wide">Id</th><th scope="col" class="wide">Created</th><th scope="col">Status</th></tr></thead>
<tbody>
<tr><td>bootstrap</td><td>admin</td><td class="wide">bootstrap</td><td class="wide reason">PUBLISHER_TOKEN</td><td class="reason">active; change PUBLISHER_TOKEN to replace it</td></tr>
${o.keys.map(
  (k) => html`<tr><td class="key-name">${k.name}</td><td>${k.scopes.join(', ')}</td><td class="wide"><code>${k.id}</code></td><td class="wide">${when(k.createdAt)} by ${k.createdBy.name}</td>
<td>${k.revokedAt ? html`revoked ${when(k.revokedAt)}` : html`<form method="post" action="/admin/keys/${k.id}/revoke"><button class="secondary" type="submit" aria-label="Revoke the key ${k.name}">Revoke</button></form>`}</td></tr>`,
)}
</tbody></table></div></section>`;
}

function target(e: AuditEntry): string {
  return Object.entries(e.target)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
}

export function auditPage(o: { entries: AuditEntry[]; next: string | null; before?: string; total: number }): SafeHtml {
  const rows =
    o.entries.length === 0
      ? html`<p>${o.before ? 'No older entries.' : 'Nothing has been changed yet.'}</p>`
      : html`<div class="table-wrap"><table class="stack">
<thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col" class="wide">From</th></tr></thead>
<tbody>
${o.entries.map(
  (e) => html`<tr><td data-label="When">${when(e.at)}</td><td data-label="Who">${e.actor.name} <span class="note">(${e.actor.id})</span></td><td data-label="Action"><code>${e.action}</code></td><td data-label="Target" class="reason">${target(e)}</td>
<td data-label="From" class="wide reason">${e.from.via}${e.from.ip ? html` · ${e.from.ip}` : ''}${e.from.userAgent ? html`<br><span class="note">${e.from.userAgent}</span>` : ''}</td></tr>`,
)}
</tbody></table></div>`;
  return html`<section aria-labelledby="audit-h"><h2 id="audit-h">Changes, newest first</h2>
<p class="note">${o.total} entries in all. Append-only: entries are never edited. Export: <a href="/admin/audit/export?format=csv">CSV</a> · <a href="/admin/audit/export?format=jsonl">JSON lines</a></p>
${rows}
<nav aria-label="Audit pages" class="actions">${o.before ? html`<a href="/admin/audit">Newest</a>` : ''}${o.next ? html`<a href="/admin/audit?before=${o.next}" rel="next">Older entries</a>` : ''}</nav>
</section>`;
}
