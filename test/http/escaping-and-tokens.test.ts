import { TokenSigner } from '../../src/subscribers/tokens';
import { postForm } from '../helpers/forms';
import { bearer, linkIn, postJson, SECRET_KEY, waitUntil } from '../helpers/kilat';
import { storedAddresses } from '../helpers/stored-subscribers';
import { useKilat } from '../helpers/use-kilat';

const XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>';

describe('HTML and script in every field are shown as text, never run', () => {
  const k = useKilat();

  test('an article with markup in every text field arrives with it escaped in the HTML part and literal in the text part', async () => {
    const subs = k.api.core.subscribers;
    const { id } = await subs.signup({ email: 'pembaca@contoh.co.id', locale: 'id', topics: [] });
    await subs.confirm(id, (await subs.get(id))!.nonce);
    const article = {
      id: 'xss-1',
      title: `Judul ${XSS}`,
      summary: `Ringkasan ${XSS}`,
      body: `Paragraf ${XSS}\n\nKedua </mj-text><mj-raw><script>alert(2)</script></mj-raw>`,
      author: `Penulis ${XSS}`,
      url: 'https://example.com/a"onmouseover="alert(3)',
      imageUrl: 'https://example.com/i.png"onload="alert(4)',
      topics: ['politik'],
    };
    const res = await postJson(`${k.baseUrl}/api/articles`, article, bearer);
    expect(res.status).toBe(202);
    const [mail] = await waitUntil(async () => (k.smtp.to('pembaca@contoh.co.id').length > 0 ? k.smtp.to('pembaca@contoh.co.id') : undefined), 15_000, 'alert');
    const html = mail!.parsed.html as string;
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img src=x/i);
    expect(html).not.toMatch(/<mj-raw/i);
    expect(html).not.toMatch(/"\s*onmouseover=/i);
    expect(html).not.toMatch(/"\s*onload=/i);
    expect(html).not.toMatch(/ onerror=alert/i);
    // escaped, so a reader sees the characters
    expect(html).toContain('&lt;script&gt;');
    // the text part is plain text: the characters as written
    expect(mail!.parsed.text).toContain(`Judul ${XSS}`);
    expect(mail!.parsed.subject).toBe(`Judul ${XSS}`);
  });

  test('the sign-up page shows a hostile address back escaped, and ignores a hostile lang', async () => {
    const evil = '"><script>alert(1)</script>';
    const res = await postForm(`${k.baseUrl}/subscribe`, { email: evil }, { pageUrl: `${k.baseUrl}/` });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    const home = await (await fetch(`${k.baseUrl}/?lang=%22%3E%3Cscript%3Ealert(1)%3C/script%3E`)).text();
    expect(home).not.toContain('<script>alert(1)');
    expect(home).toMatch(/<html lang="id">/);
  });

  test('security headers on pages: CSP without inline script, no sniffing, no framing', async () => {
    const res = await fetch(`${k.baseUrl}/`);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(res.headers.get('content-security-policy')).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'self'/);
  });
});

describe('signed links cannot be forged or replayed into a change', () => {
  const k = useKilat();

  test('a used confirm link replays harmlessly; a link from an earlier sign-up stops working after a new one', async () => {
    const email = 'ulang@contoh.co.id';
    expect((await postJson(`${k.baseUrl}/api/subscriptions`, { email })).status).toBe(202);
    await k.smtp.waitFor(1);
    const first = linkIn(k.smtp.to(email)[0]!.parsed.text, 'confirm');
    // unsubscribe while pending, then sign up again: a fresh nonce
    const sub = (await k.api.core.subscribers.findByEmail(email))!;
    await k.api.core.subscribers.setStatus(sub.id, 'unsubscribed');
    expect((await postJson(`${k.baseUrl}/api/subscriptions`, { email })).status).toBe(202);
    await k.smtp.waitFor(2);
    const second = linkIn(k.smtp.to(email)[1]!.parsed.text, 'confirm');
    expect(second).not.toBe(first);
    // the old link is refused and changes nothing
    expect((await fetch(first)).status).toBe(400);
    expect((await k.api.core.subscribers.get(sub.id))!.status).toBe('pending');
    // the new one confirms; replaying it says so again and changes nothing
    expect((await fetch(second)).status).toBe(200);
    const confirmedAt = (await k.api.core.subscribers.get(sub.id))!.confirmedAt;
    const again = await fetch(second);
    expect(again.status).toBe(200);
    expect(await again.text()).toMatch(/sudah|already/i);
    expect((await k.api.core.subscribers.get(sub.id))!.confirmedAt).toBe(confirmedAt);
  });

  test('an unsubscribe token for one subscriber cannot be turned into another by editing it', async () => {
    const subs = k.api.core.subscribers;
    const a = await subs.signup({ email: 'satu@contoh.co.id', locale: 'id', topics: [] });
    await subs.confirm(a.id, (await subs.get(a.id))!.nonce);
    const b = await subs.signup({ email: 'dua@contoh.co.id', locale: 'id', topics: [] });
    await subs.confirm(b.id, (await subs.get(b.id))!.nonce);
    const signer = new TokenSigner([SECRET_KEY]);
    const tokenA = signer.sign({ purpose: 'unsubscribe', subscriberId: a.id });
    const forged = tokenA.replace(`.${a.id.toString(36)}.`, `.${b.id.toString(36)}.`);
    expect(forged).not.toBe(tokenA);
    const res = await fetch(`${k.baseUrl}/unsubscribe?token=${forged}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(res.status).toBe(400);
    expect((await subs.get(b.id))!.status).toBe('confirmed');
    expect((await subs.get(a.id))!.status).toBe('confirmed');
  });
});

describe('edge-case addresses that are valid', () => {
  const k = useKilat({ workers: false });

  test('IDN domains are stored in punycode; case and spacing variants are one subscriber', async () => {
    for (const email of ['budi@contoh.indonesia', 'siti@bücher.de', 'ani@例子.广告', 'Ani@例子.广告', '  ANI@例子.广告  ', 'a+tag@contoh.co.id']) {
      expect((await postJson(`${k.baseUrl}/api/subscriptions`, { email })).status).toBe(202);
    }
    const subs = k.api.core.subscribers;
    expect(await subs.findByEmail('siti@xn--bcher-kva.de')).toBeDefined();
    expect(await subs.findByEmail('ani@xn--fsqu00a.xn--4rr70v')).toBeDefined();
    const all = await storedAddresses(subs);
    expect(all).toEqual(['a+tag@contoh.co.id', 'ani@xn--fsqu00a.xn--4rr70v', 'budi@contoh.indonesia', 'siti@xn--bcher-kva.de']);
  });
});
