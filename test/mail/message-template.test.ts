import { simpleParser } from 'mailparser';
import { MessageTemplate } from '../../src/mail/message-template';

describe('message template (built once, personalised per recipient)', () => {
  let template: MessageTemplate;
  beforeAll(async () => {
    template = await MessageTemplate.build({
      from: '"Kilat Berita" <alerts@kilat.example>',
      messageIdDomain: 'kilat.example',
      rendered: {
        subject: 'Panglima “Tiongkok” berjanji — kerja sama',
        html: '<p>“Kutipan” penting</p><a href="%%UNSUBSCRIBE_URL%%">Berhenti</a>',
        text: '“Kutipan” penting\nBerhenti: %%UNSUBSCRIBE_URL%%\n',
      },
      slotNames: ['UNSUBSCRIBE_URL'],
      headers: { 'List-Unsubscribe': '<%%UNSUBSCRIBE_URL%%>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
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
});
