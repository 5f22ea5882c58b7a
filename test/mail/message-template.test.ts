import { simpleParser } from 'mailparser';
import { MessageTemplate } from '../../src/mail/message-template';
import { TemplateError } from '../../src/mail/render';

// The markers MailComposer was given before they were drawn at random per build, in every spelling
// an article could carry them (plain, and as the base64 run of the body markers).
const OLD_MARKERS = [
  'kilat-recipient@placeholder.invalid',
  'kilat-message-id',
  'kilat-message-date',
  'KILATTEXTPART\u00e9',
  'KILATHTMLPART\u00e9',
  Buffer.from('KILATTEXTPART\u00e9').toString('base64'),
  Buffer.from('KILATHTMLPART\u00e9').toString('base64'),
  'kilat-header-0',
  'kilat-header-1',
  '%%UNSUBSCRIBE_URL%%',
  // a well-formed RFC 2047 encoded word: a mail client would show "KILAT" unless it is encoded itself
  '=?utf-8?B?S0lMQVQ=?=',
];

const build = (subject: string) =>
  MessageTemplate.build({
    from: '"Kilat Berita" <alerts@kilat.example>',
    messageIdDomain: 'kilat.example',
    rendered: {
      subject,
      html: ['<p>“Kutipan” penting</p><a href="', { slot: 'UNSUBSCRIBE_URL' }, '">Berhenti</a>'],
      text: ['“Kutipan” penting\nBerhenti: ', { slot: 'UNSUBSCRIBE_URL' }, '\n'],
    },
    slots: ['UNSUBSCRIBE_URL'],
    headers: { 'List-Unsubscribe': ['<', { slot: 'UNSUBSCRIBE_URL' }, '>'], 'List-Unsubscribe-Post': ['List-Unsubscribe=One-Click'] },
  });

describe('message template (built once, personalised per recipient)', () => {
  let template: MessageTemplate;
  beforeAll(async () => {
    template = await build('Panglima “Tiongkok” berjanji — kerja sama');
  });

  test('each recipient gets a complete, parseable message with their own address and link', async () => {
    const a = await simpleParser(template.personalise({ to: 'ani@contoh.co.id', slots: { UNSUBSCRIBE_URL: 'https://k.example/u?token=AAA' } }));
    const b = await simpleParser(template.personalise({ to: 'budi@contoh.co.id', slots: { UNSUBSCRIBE_URL: 'https://k.example/u?token=BBB' } }));
    expect(a.to && !Array.isArray(a.to) ? a.to.value[0]!.address : undefined).toBe('ani@contoh.co.id');
    expect(b.to && !Array.isArray(b.to) ? b.to.value[0]!.address : undefined).toBe('budi@contoh.co.id');
    expect(a.subject).toBe('Panglima “Tiongkok” berjanji — kerja sama');
    expect(a.from?.value[0]).toEqual({ name: 'Kilat Berita', address: 'alerts@kilat.example' });
    expect(a.text).toBe('“Kutipan” penting\nBerhenti: https://k.example/u?token=AAA\n');
    expect(a.html).toContain('href="https://k.example/u?token=AAA"');
    expect(b.text).toContain('token=BBB');
    expect(b.text).not.toContain('token=AAA');
    expect(a.messageId).toMatch(/^<[\w-]{12}\.[0-9a-z]+@kilat\.example>$/);
    expect(a.messageId).not.toBe(b.messageId);
    expect(a.date).toBeInstanceOf(Date);
  });

  test('a tagged copy carries its tag as the Message-ID', async () => {
    const a = await simpleParser(template.personalise({ to: 'ani@contoh.co.id', tag: 'k1.2s.a5.0123456789abcdef', slots: { UNSUBSCRIBE_URL: 'https://k.example/u?token=AAA' } }));
    expect(a.messageId).toBe('<k1.2s.a5.0123456789abcdef@kilat.example>');
  });

  test('the unsubscribe headers carry the recipient’s own link', () => {
    const raw = template.personalise({ to: 'ani@contoh.co.id', slots: { UNSUBSCRIBE_URL: 'https://k.example/u?token=AAA' } });
    expect(raw).toMatch(/^List-Unsubscribe: <https:\/\/k\.example\/u\?token=AAA>\r$/m);
    expect(raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
  });

  test('long bodies are base64 in lines of at most 76 characters', () => {
    const raw = template.personalise({ to: 'ani@contoh.co.id', slots: { UNSUBSCRIBE_URL: `https://k.example/u?token=${'x'.repeat(500)}` } });
    for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
    const body = raw.split('\r\n\r\n').slice(1).join('\n');
    expect(body.split(/\r?\n/).filter((l) => /^[A-Za-z0-9+/=]+$/.test(l)).every((l) => l.length <= 76)).toBe(true);
  });

  test.each(OLD_MARKERS)('a subject holding %j is sent as it is and takes no recipient value', async (marker) => {
    const t = await build(`Berita ${marker} terkini`);
    const raw = t.personalise({ to: 'ani@contoh.co.id', slots: { UNSUBSCRIBE_URL: 'https://k.example/u?token=AAA' } });
    const m = await simpleParser(raw);
    expect(m.subject).toBe(`Berita ${marker} terkini`);
    expect(m.to && !Array.isArray(m.to) ? m.to.text : '').toBe('ani@contoh.co.id');
    expect(m.text).toBe('“Kutipan” penting\nBerhenti: https://k.example/u?token=AAA\n');
    const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
    expect(head.split('token=AAA').length - 1).toBe(1);
    expect((m.html || '').split('token=AAA').length - 1).toBe(1);
  });

  test('a template that uses a slot the sender does not fill is a TemplateError at build time', async () => {
    await expect(
      MessageTemplate.build({
        from: 'a@kilat.example',
        messageIdDomain: 'kilat.example',
        rendered: { subject: 's', html: ['x', { slot: 'PREFERENCES_URL' }], text: ['y'] },
        slots: ['CONFIRM_URL'],
      }),
    ).rejects.toBeInstanceOf(TemplateError);
  });
});

describe('threading header slots (follow-up alerts)', () => {
  test('In-Reply-To and References carry each reader\'s own values, once each, and a subject cannot reach them', async () => {
    const template = await MessageTemplate.build({
      from: '"Kilat Berita" <alerts@kilat.example>',
      messageIdDomain: 'kilat.example',
      // A subject that looks like the headers: it is article text, encoded by MailComposer, never a header.
      rendered: { subject: 'Gempa\r\nIn-Reply-To: <palsu@x>', html: ['<p>Isi</p>'], text: ['Isi\n'] },
      slots: ['IN_REPLY_TO', 'REFERENCES'],
      headers: { 'In-Reply-To': [{ slot: 'IN_REPLY_TO' }], References: [{ slot: 'REFERENCES' }] },
    });
    const raw = template.personalise({ to: 'ani@contoh.co.id', slots: { IN_REPLY_TO: '<k1.a.a2.0@kilat.example>', REFERENCES: '<k1.a.a1.0@kilat.example>\r\n <k1.a.a2.0@kilat.example>' } });
    const header = raw.slice(0, raw.indexOf('\r\n\r\n'));
    expect(header.match(/^In-Reply-To:/gim)).toHaveLength(1);
    expect(header.match(/^References:/gim)).toHaveLength(1);
    const m = await simpleParser(raw);
    expect(m.inReplyTo).toBe('<k1.a.a2.0@kilat.example>');
    expect(m.references).toEqual(['<k1.a.a1.0@kilat.example>', '<k1.a.a2.0@kilat.example>']);
    expect(m.subject).toBe('Gempa In-Reply-To: <palsu@x>');
  });
});
