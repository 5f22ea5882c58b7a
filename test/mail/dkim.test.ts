import { generateKeyPairSync } from 'node:crypto';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import { createDkimCopySigner, createDkimSigner } from '../../src/mail/dkim';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const sign = createDkimSigner({ domain: 'kilat.example', selector: 'sel', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
const resolver = async (name: string, rrtype: string) => {
  if (rrtype === 'TXT' && name === 'sel._domainkey.kilat.example') return [[`v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`]];
  throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
};
const verdict = async (raw: string) => (await dkimVerify(raw, { resolver })).results[0]!.status;

// Folded headers, tabs, runs of spaces, trailing whitespace and trailing blank lines: everything
// relaxed canonicalisation must smooth over, on both sides.
const messy = [
  'From: "Kilat  Berita" <alerts@kilat.example>',
  'To:   budi@contoh.co.id',
  'Subject: Gempa\tdi Laut Banda ',
  '  dan Maluku',
  'Date: Fri, 27 Nov 2026 03:00:00 +0000',
  'Message-ID: <abc@kilat.example>',
  'List-Unsubscribe: <https://kilat.example/unsubscribe?token=u.1.2.3.x>',
  'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Gempa  bermagnitudo 6,1 \t',
  '\tmengguncang Laut Banda. ',
  '',
  '',
  '',
].join('\r\n');

describe('DKIM signer', () => {
  test('a signature over a message full of whitespace quirks verifies', async () => {
    const signed = sign(messy);
    expect(signed.startsWith('DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=kilat.example; s=sel;')).toBe(true);
    expect(await verdict(signed)).toMatchObject({ result: 'pass' });
  });

  test('what a relay may do does not break it; what an attacker would do does', async () => {
    const signed = sign(messy);
    // relaxed: re-folding a header, changing whitespace runs and dropping trailing blank lines are fine
    expect(await verdict(signed.replace('To:   budi@contoh.co.id', 'To: budi@contoh.co.id').replace(/\r\n\r\n\r\n$/, '\r\n'))).toMatchObject({ result: 'pass' });
    // a second From, an added Reply-To or a changed unsubscribe target are not
    for (const forged of [
      signed.replace('From: "Kilat', 'From: "Bank" <security@bank.example>\r\nFrom: "Kilat'),
      signed.replace('MIME-Version', 'Reply-To: thief@evil.example\r\nMIME-Version'),
      signed.replace('token=u.1.2.3.x', 'token=u.9.9.9.x'),
      signed.replace('mengguncang', 'menggoncang'),
    ]) {
      expect((await verdict(forged)).result).not.toBe('pass');
    }
  });
});

describe('DKIM signer for copies made of Buffers', () => {
  const signCopy = createDkimCopySigner({ domain: 'kilat.example', selector: 'sel', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
  const split = messy.indexOf('\r\n\r\n') + 4;
  const head = messy.slice(0, split);
  const body = messy.slice(split);

  test.each([
    ['not yet canonical (white space runs, trailing blanks): hashed from its canonical text', false],
    ['said to be canonical and cut into pieces: hashed chunk by chunk', true],
  ])('a copy whose body is %s verifies', async (_label, canonical) => {
    const text = canonical ? 'Gempa bermagnitudo 6,1\r\nmengguncang Laut Banda.\r\n' : body;
    const chunks = [Buffer.from(head), ...[text.slice(0, 7), text.slice(7, 30), text.slice(30)].map((t) => Buffer.from(t))];
    const signed = signCopy({ chunks, size: chunks.reduce((n, c) => n + c.length, 0), head, bodyCanonical: canonical });
    const raw = Buffer.concat(signed.chunks).toString('utf8');
    expect(signed.size).toBe(Buffer.byteLength(raw));
    expect(signed.head.startsWith('DKIM-Signature: ')).toBe(true);
    expect(await verdict(raw)).toMatchObject({ result: 'pass' });
    // The same body hash as the one-string signer's.
    expect(/bh=([^;]+);/.exec(raw)![1]).toBe(/bh=([^;]+);/.exec(sign(head + text))![1]);
  });
});
