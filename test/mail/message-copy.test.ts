import { generateKeyPairSync } from 'node:crypto';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { toArticle } from '../../src/article';
import { parseConfig } from '../../src/config';
import { loadCatalog } from '../../src/i18n';
import { createRendererFromConfig } from '../../src/mail/create-renderer';
import { createMailer, type Mailer } from '../../src/mail/mailer';
import type { MessageTemplate } from '../../src/mail/message-template';
import { fillPieces, type RenderedEmail } from '../../src/mail/render';
import { createSmtpTransport } from '../../src/mail/transport';
import { createLinks } from '../../src/subscribers/links';
import { MessageTags } from '../../src/subscribers/message-tags';
import { TokenSigner } from '../../src/subscribers/tokens';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture';
import { SECRET_KEY } from '../helpers/kilat';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const resolver = async (name: string, rrtype: string) => {
  if (rrtype === 'TXT' && name === 'k2026._domainkey.kilat.example') return [[`v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`]];
  throw Object.assign(new Error(`no ${rrtype} for ${name}`), { code: 'ENOTFOUND' });
};

// Article text as hostile as a feed or a careless paste gets: dot lines (SMTP's end of data),
// a line far over 998 characters, CR/LF inside a title, non-ASCII of every width.
const HOSTILE = {
  title: 'Gempa “M 6,1” — Laut Banda\r\nBcc: korban@evil.example\r\n.\r\nQUIT',
  body: [
    '.',
    'Bahasa: 日本語 · العربية · 🇮🇩🌋 · Ñandú',
    '.. dua titik di awal baris',
    `.${'panjang'.repeat(900)}`,
    'Baris dengan CR\rdan LF\nlalu CRLF\r\n.\r\nMAIL FROM:<x@evil.example>',
    `${'sangat-panjang-tanpa-spasi-'.repeat(300)}.`,
  ].join('\n\n'),
  topics: [],
};

const ids = [0, 1, 35, 36, 1295, 46_655, 1_234_567, 2_176_782_335, 78_364_164_095];
const addressOf = (id: number) => `pembaca.${'x'.repeat(id % 60)}${id}@contoh-${id % 997}.co.id`;

describe('copies as Buffer vectors (template.copy) on the wire', () => {
  let smtp: SmtpCapture;
  let mailer: Mailer;
  let template: MessageTemplate;
  let rendered: RenderedEmail;
  const signer = new TokenSigner([SECRET_KEY]);
  const tags = new MessageTags([SECRET_KEY]);
  const links = createLinks({ publicUrl: 'https://kilat.example', signer, tags, confirmTokenTtlSeconds: 3600 });

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    const config = parseConfig({
      PUBLIC_URL: 'https://kilat.example',
      MAIL_FROM: '"Kilat Berita" <alerts@kilat.example>',
      SECRET_KEY,
      PUBLISHER_TOKEN: 'test-publisher-token-0123456789',
    });
    const renderer = createRendererFromConfig(config, loadCatalog());
    mailer = createMailer({
      renderer,
      transport: createSmtpTransport({ connection: { host: '127.0.0.1', port: smtp.port, tls: 'none', name: 'kilat.test', rejectUnauthorized: false, connectTimeoutMs: 5000, socketTimeoutMs: 5000 }, poolSize: 2 }),
      mailFrom: config.mailFrom,
      listId: { id: 'breaking.kilat.example', name: 'Kilat breaking news' },
      dkim: { domain: 'kilat.example', selector: 'k2026', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    });
    const article = toArticle(HOSTILE, 'id');
    rendered = await renderer.renderAlert(article, 'id');
    template = await mailer.prepareAlert(article, 'id');
  });
  afterAll(async () => {
    await mailer.transport.close();
    await smtp.stop();
  });

  test('every copy arrives byte for byte as the one-string message for the same reader, with their own links, signed', async () => {
    const plain: Record<string, string> = {};
    for (const id of ids) {
      const to = addressOf(id);
      const p = { to, tag: links.messageTag(id, 'a7'), slots: links.listSlots(id) };
      const copy = template.copy(p);
      const one = template.personalise(p);
      // The copy's bytes are the string's, and SIZE= is their exact count.
      expect(Buffer.concat(copy.chunks).toString('utf8')).toBe(one);
      expect(copy.size).toBe(Buffer.byteLength(one));
      plain[to] = one;
      await mailer.send(to, copy, p.tag);
      await mailer.send(`string.${to}`, one, p.tag);
    }
    await smtp.waitFor(ids.length * 2);
    const withoutSignature = (raw: string) => raw.replace(/^DKIM-Signature:[^]*?\r\n(?![ \t])/, '').replace(/^Date: .*\r\n/m, 'Date: -\r\n');
    for (const id of ids) {
      const to = addressOf(id);
      const [viaCopy] = smtp.to(to);
      const [viaString] = smtp.to(`string.${to}`);
      expect(viaCopy).toBeDefined();
      // What the relay received (un-dot-stuffed by it) is what was built, for both paths.
      expect(withoutSignature(viaCopy!.raw)).toBe(withoutSignature(viaString!.raw));
      expect(withoutSignature(viaCopy!.raw)).toBe(withoutSignature(plain[to]!));
      for (const line of viaCopy!.raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
      expect(viaCopy!.raw).not.toMatch(/[^\r]\n|\r(?!\n)/);

      const m = viaCopy!.parsed;
      const slots = links.listSlots(id);
      // mailparser hands text out with LF line ends; the bytes themselves were compared above.
      const lf = (t: string | false | undefined) => (t || '').replace(/\r\n?/g, '\n');
      expect(lf(m.text)).toBe(lf(fillPieces(rendered.text, slots)));
      expect(lf(m.html)).toBe(lf(fillPieces(rendered.html, slots)));
      expect(m.text).toContain(slots.UNSUBSCRIBE_URL);
      expect(m.html).toContain(`href="${slots.PREFERENCES_URL}"`);
      expect(m.to && !Array.isArray(m.to) ? m.to.value[0]!.address : undefined).toBe(to);
      expect(m.messageId).toBe(`<${links.messageTag(id, 'a7')}@kilat.example>`);
      // The title's CR/LF made no header and no end of data: one message, one Bcc-free header section.
      expect(m.subject).toContain('Gempa “M 6,1” — Laut Banda');
      expect(m.headers.has('bcc')).toBe(false);
      expect(m.text).toContain('.. dua titik di awal baris');
      expect(m.text).toContain('🇮🇩🌋');
      expect(viaCopy!.raw).toContain(`List-Unsubscribe: <${slots.UNSUBSCRIBE_URL}>\r\n`);

      const verdict = await dkimVerify(viaCopy!.raw, { resolver });
      expect(verdict.results[0]!.status.result).toBe('pass');
      // The copy's body hash is the one-string message's: the shared chunks hash as the whole.
      const bh = (raw: string) => /bh=([^;]+);/.exec(raw)![1];
      expect(bh(viaCopy!.raw)).toBe(bh(viaString!.raw));
    }
  });

  test('readers whose links differ in length share the template’s Buffers; only the lines around their links are their own', () => {
    const a = template.copy({ to: addressOf(1), tag: links.messageTag(1, 'a7'), slots: links.listSlots(1) });
    const b = template.copy({ to: addressOf(78_364_164_095), tag: links.messageTag(78_364_164_095, 'a7'), slots: links.listSlots(78_364_164_095) });
    const shared = a.chunks.filter((c) => b.chunks.includes(c));
    const sharedBytes = shared.reduce((n, c) => n + c.length, 0);
    // The article's own lines (most of the ~20 KB) are the same objects in both copies.
    expect(sharedBytes / a.size).toBeGreaterThan(0.8);
    const own = a.chunks.filter((c) => !b.chunks.includes(c)).reduce((n, c) => n + c.length, 0);
    expect(own).toBeLessThan(2500);
  });

  test('a header value with a line break, or one too long for a header line, is refused for that copy', () => {
    const slots = links.listSlots(5);
    expect(() => template.copy({ to: addressOf(5), slots: { ...slots, UNSUBSCRIBE_URL: 'https://kilat.example/u\r\nBcc: x@evil.example' } })).toThrow(/not a clean \(folded\) line/);
    expect(() => template.copy({ to: addressOf(5), slots: { ...slots, UNSUBSCRIBE_URL: `https://kilat.example/u?${'x'.repeat(1000)}` } })).toThrow(/not a clean \(folded\) line/);
    // a folded value (CRLF then a space: the same header, as a long References is) passes, each line within bounds
    const folded = template.copy({ to: addressOf(5), slots: { ...slots, UNSUBSCRIBE_URL: 'https://kilat.example/u\r\n x' } });
    expect(Buffer.concat(folded.chunks).toString('latin1')).toContain('https://kilat.example/u\r\n x>');
    expect(() => template.copy({ to: addressOf(5), slots: { ...slots, UNSUBSCRIBE_URL: `https://kilat.example/u\r\n ${'x'.repeat(1000)}` } })).toThrow(/not a clean \(folded\) line/);
    expect(() => template.copy({ to: `a\r\n.\r\n@x.example`, slots })).toThrow(/single clean line/);
  });
});
