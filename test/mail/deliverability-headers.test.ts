import { generateKeyPairSync } from 'node:crypto';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { linkIn, startKilat, type Kilat } from '../helpers/kilat';
import { publish, subscribeConfirmed, waitForAlert } from '../helpers/lifecycle';

// A real 2048-bit key; the verifier gets the public half through its DNS resolver option.
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicB64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

const resolver = async (name: string, rrtype: string) => {
  if (rrtype === 'TXT' && name === 'k2026._domainkey.kilat.example') return [[`v=DKIM1; k=rsa; p=${publicB64}`]];
  const err = new Error(`no ${rrtype} for ${name}`) as Error & { code: string };
  err.code = 'ENOTFOUND';
  throw err;
};

describe('what an alert carries for the receiving mail system', () => {
  let k: Kilat;
  beforeAll(async () => {
    k = await startKilat({
      env: {
        REPLY_TO: 'Redaksi Kilat <redaksi@kilat.example>',
        LIST_UNSUBSCRIBE_MAILTO: 'unsubscribe@kilat.example',
        DKIM_DOMAIN: 'kilat.example',
        DKIM_SELECTOR: 'k2026',
        // as an env file carries it: one line with \n escapes
        DKIM_PRIVATE_KEY: privatePem.replace(/\n/g, '\\n'),
      },
    });
    await subscribeConfirmed(k, 'ani@contoh.co.id');
    await subscribeConfirmed(k, 'budi@contoh.co.id');
  });
  afterAll(async () => {
    await k.stop();
  });

  test('headers, preheader and a DKIM signature that a real verifier accepts; a changed body fails', async () => {
    const before = k.smtp.messages.length;
    const lead = 'Ringkasan singkat untuk pratinjau kotak masuk.';
    const alertId = await publish(k, { title: 'Gempa di Laut Banda', summary: lead });
    await waitForAlert(k, alertId);
    const mails = k.smtp.messages.slice(before);
    expect(mails).toHaveLength(2);
    const messageIds = new Set<string>();
    for (const m of mails) {
      const h = m.parsed.headers;
      expect(m.parsed.from?.value[0]).toEqual({ name: 'Kilat Berita', address: 'alerts@kilat.example' });
      expect(m.parsed.replyTo?.value[0]).toEqual({ name: 'Redaksi Kilat', address: 'redaksi@kilat.example' });
      // the copy's signed tag (subscriber and alert), so a bounce quoting it can be matched
      expect(m.parsed.messageId).toMatch(/^<k1\.[0-9a-z]+\.a\d+\.[0-9a-f]{16}@kilat\.example>$/);
      messageIds.add(m.parsed.messageId!);
      // Date is the moment of sending, not when the template was built
      expect(Math.abs(m.parsed.date!.getTime() - Date.now())).toBeLessThan(60_000);
      expect(m.raw).toMatch(/^Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000\r$/m);
      expect(m.raw).toMatch(/^List-Id: "Kilat breaking news" <breaking\.kilat\.example>\r$/im);
      expect((h.get('list') as any).id).toMatchObject({ id: 'breaking.kilat.example' });
      const unsubscribeUrl = linkIn(m.parsed.text, 'unsubscribe');
      expect(m.raw).toContain(`List-Unsubscribe: <mailto:unsubscribe@kilat.example?subject=unsubscribe>, <${unsubscribeUrl}>\r\n`);
      expect(m.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
      // the preheader: hidden text at the top of the HTML that inboxes show beside the subject
      expect(m.parsed.html).toMatch(new RegExp(`display:none[^>]*>${lead}`));

      const pass = await dkimVerify(m.raw, { resolver });
      expect(pass.results).toHaveLength(1);
      expect(pass.results[0]!.status.result).toBe('pass');
      expect(pass.results[0]!.signingDomain).toBe('kilat.example');
      const signed = (pass.results[0] as any).signingHeaders.keys.toLowerCase();
      for (const name of ['from', 'to', 'subject', 'date', 'message-id', 'list-id', 'list-unsubscribe', 'list-unsubscribe-post']) {
        expect(signed.split(': ')).toContain(name);
      }
      expect((pass.results[0] as any).publicKeyBytes ?? 256).toBeGreaterThanOrEqual(256);

      // one changed letter in the (base64) body and the signature no longer holds
      const cut = m.raw.indexOf('\r\n\r\n');
      const bodyAt = m.raw.indexOf('Content-Transfer-Encoding: base64\r\n\r\n', cut) + 'Content-Transfer-Encoding: base64\r\n\r\n'.length;
      const tampered = m.raw.slice(0, bodyAt) + (m.raw[bodyAt] === 'A' ? 'B' : 'A') + m.raw.slice(bodyAt + 1);
      const fail = await dkimVerify(tampered, { resolver });
      expect(fail.results[0]!.status).toMatchObject({ result: 'neutral', comment: 'body hash did not verify' });
      // and so does a changed header
      const retitled = m.raw.replace(/^Subject: .*$/m, 'Subject: Diskon besar!\r');
      expect((await dkimVerify(retitled, { resolver })).results[0]!.status.result).toBe('fail');
    }
    expect(messageIds.size).toBe(2);
  });
});
