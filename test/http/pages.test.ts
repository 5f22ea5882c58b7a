import { postForm } from '../helpers/forms';
import { linkIn, type Kilat } from '../helpers/kilat';
import { useKilat } from '../helpers/use-kilat';

// As a browser sends it: after loading the sign-up page, with its CSRF cookie and field.
const signup = (baseUrl: string, body: Record<string, string | string[]>) => postForm(`${baseUrl}/subscribe`, body, { pageUrl: `${baseUrl}/` });

describe('browser pages', () => {
  const k = useKilat();

  test('the sign-up page is in Bahasa Indonesia by default with a switch to English', async () => {
    const id = await (await fetch(`${k.baseUrl}/`)).text();
    expect(id).toContain('<html lang="id">');
    expect(id).toContain('Berlangganan email berita terkini gratis kami');
    expect(id).toContain('<label for="email">Alamat email</label>');
    expect(id).toContain('href="/?lang=en"');
    const en = await (await fetch(`${k.baseUrl}/?lang=en`)).text();
    expect(en).toContain('<html lang="en">');
    expect(en).toContain('Subscribe to our free breaking-news email');
  });

  test('the form signs up with language and topics, then says check your inbox; the email confirms', async () => {
    const res = await signup(k.baseUrl, { email: 'rina@contoh.co.id', locale: 'en', topics: ['dunia', 'ekonomi'] });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Check your inbox');
    const [mail] = await k.smtp.waitFor(1);
    expect(mail!.to).toEqual(['rina@contoh.co.id']);
    expect(mail!.parsed.subject).toBe('Confirm your Kilat breaking-news subscription');
    const confirm = await fetch(linkIn(mail!.parsed.text, 'confirm'));
    expect(await confirm.text()).toContain('Subscription confirmed');
    const again = await fetch(linkIn(mail!.parsed.text, 'confirm'));
    expect(await again.text()).toContain('already active');
  });

  test('a bad address re-shows the form with the error and what was typed, escaped', async () => {
    const res = await signup(k.baseUrl, { email: '"><script>x</script>', locale: 'id' });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('role="alert"');
    expect(page).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(page).not.toContain('<script>x</script>');
  });

  test.each(['/confirm?token=c.1.zz.n.AAAA', '/confirm', '/unsubscribe?token=nope', '/preferences?token=u.1..AAAA'])(
    'a broken link %s gets a readable page and a 400',
    async (path) => {
      const res = await fetch(`${k.baseUrl}${path}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toContain('Tautan tidak berlaku');
    },
  );

  test('an unknown page is a readable 404 page, not a stack trace', async () => {
    const res = await fetch(`${k.baseUrl}/nope`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(404);
    const page = await res.text();
    expect(page).toContain('<!doctype html>');
    expect(page).not.toMatch(/at .*\.js:\d+/);
  });
});
