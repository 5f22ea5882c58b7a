/**
 * What a browser does with our HTML forms: load the page (which sets the CSRF cookie and puts the
 * `_csrf` field in each form), then send the form back with both.
 */
export interface FormSession {
  cookie: string;
  token: string;
}

export async function formSession(pageUrl: string): Promise<FormSession> {
  const res = await fetch(pageUrl);
  const page = await res.text();
  const token = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
  const cookie = res.headers.getSetCookie().find((c) => /^(__Host-)?kilat-csrf=/.test(c))?.split(';')[0];
  if (!token || !cookie) throw new Error(`no CSRF token/cookie on ${pageUrl} (status ${res.status})`);
  return { cookie, token };
}

export function formBody(fields: Record<string, string | string[]>, session?: FormSession): string {
  const body = new URLSearchParams();
  for (const [name, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(name, x);
  if (session) body.append('_csrf', session.token);
  return body.toString();
}

/** POSTs a form as the browser would after loading `pageUrl` (default: the form's own URL). */
export async function postForm(
  url: string,
  fields: Record<string, string | string[]>,
  opts: { pageUrl?: string; session?: FormSession; headers?: Record<string, string> } = {},
): Promise<Response> {
  const session = opts.session ?? (await formSession(opts.pageUrl ?? url));
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie, ...opts.headers },
    body: formBody(fields, session),
  });
}
