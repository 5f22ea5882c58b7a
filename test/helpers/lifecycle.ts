import { bearer, linkIn, postJson, waitUntil, type Kilat } from './kilat';

/** Signs an address up through the API and clicks the link in its confirmation email. */
export async function subscribeConfirmed(k: Kilat, email: string, opts: { locale?: 'id' | 'en'; topics?: string[] } = {}): Promise<void> {
  const before = k.smtp.to(email).length;
  const res = await postJson(`${k.baseUrl}/api/subscriptions`, { email, locale: opts.locale ?? 'id', ...(opts.topics ? { topics: opts.topics } : {}) });
  if (res.status !== 202) throw new Error(`signup answered ${res.status}: ${JSON.stringify(res.body)}`);
  const mail = await waitUntil(async () => k.smtp.to(email)[before], 15_000, `confirmation email to ${email}`);
  const confirmed = await fetch(linkIn(mail.parsed.text, 'confirm'));
  if (confirmed.status !== 200) throw new Error(`confirm answered ${confirmed.status}`);
}

let articleSeq = 0;

/** Publishes a short article and returns its alert id. */
export async function publish(k: Kilat, fields: Record<string, unknown> = {}): Promise<string> {
  articleSeq += 1;
  const res = await postJson(
    `${k.baseUrl}/api/articles`,
    { id: `art-${Date.now()}-${articleSeq}`, title: `Kabar ${articleSeq}`, body: 'Paragraf pertama.\n\nParagraf kedua.', ...fields },
    bearer,
  );
  if (res.status !== 202) throw new Error(`publish answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.alertId as string;
}

export async function alertStatus(k: Kilat, alertId: string): Promise<any> {
  const res = await fetch(`${k.baseUrl}/api/alerts/${alertId}`, { headers: bearer });
  return res.json();
}

export async function waitForAlert(k: Kilat, alertId: string, state = 'completed'): Promise<any> {
  return waitUntil(async () => {
    const s = await alertStatus(k, alertId);
    return s.state === state ? s : undefined;
  }, 15_000, `alert ${alertId} ${state}`);
}

/** A one-click unsubscribe exactly as Gmail sends it (RFC 8058): a form POST, no cookie. */
export function oneClick(url: string): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
}
