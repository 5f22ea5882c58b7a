import { TokenSigner } from '../../src/subscribers/tokens';

const OLD = 'old-secret-key-0123456789abcdef0123456789';
const NEW = 'new-secret-key-0123456789abcdef0123456789';

describe('signed, purpose-scoped tokens', () => {
  const signer = new TokenSigner([NEW]);
  const now = 1_800_000_000;

  test('a good token verifies for its own purpose only', () => {
    const t = signer.sign({ purpose: 'unsubscribe', subscriberId: 4242 });
    expect(signer.verify(t, 'unsubscribe', now)).toEqual({ ok: true, claims: { purpose: 'unsubscribe', subscriberId: 4242, expiresAt: undefined, nonce: undefined } });
    expect(signer.verify(t, 'preferences', now)).toEqual({ ok: false, code: 'token_wrong_purpose' });
    expect(signer.verify(t, 'confirm', now)).toEqual({ ok: false, code: 'token_wrong_purpose' });
  });

  test('any changed character is rejected, including a different subscriber id or purpose', () => {
    const t = signer.sign({ purpose: 'preferences', subscriberId: 17 });
    const [, id, exp, nonce, mac] = t.split('.');
    expect(signer.verify(`p.${(18).toString(36)}.${exp}.${nonce}.${mac}`, 'preferences', now).ok).toBe(false);
    expect(signer.verify(`u.${id}.${exp}.${nonce}.${mac}`, 'unsubscribe', now)).toEqual({ ok: false, code: 'token_invalid' });
    const flipped = t.slice(0, -1) + (t.endsWith('A') ? 'B' : 'A');
    expect(signer.verify(flipped, 'preferences', now)).toEqual({ ok: false, code: 'token_invalid' });
    for (const junk of [undefined, '', 'abc', 42, ['x'], 'a.b.c.d.e', 'x'.repeat(500)]) {
      expect(signer.verify(junk, 'preferences', now)).toEqual({ ok: false, code: 'token_invalid' });
    }
  });

  test('a confirm token expires', () => {
    const t = signer.sign({ purpose: 'confirm', subscriberId: 5, nonce: 'n0nce', expiresAt: now + 48 * 3600 });
    expect(signer.verify(t, 'confirm', now + 48 * 3600).ok).toBe(true);
    expect(signer.verify(t, 'confirm', now + 48 * 3600 + 1)).toEqual({ ok: false, code: 'token_expired' });
  });

  test('key rotation: links signed with the previous key keep working while it is listed, then stop', () => {
    const before = new TokenSigner([OLD]).sign({ purpose: 'unsubscribe', subscriberId: 9 });
    const rotating = new TokenSigner([NEW, OLD]);
    expect(rotating.verify(before, 'unsubscribe', now).ok).toBe(true);
    // new links are signed with the new key, which the old signer does not know
    const after = rotating.sign({ purpose: 'unsubscribe', subscriberId: 9 });
    expect(new TokenSigner([OLD]).verify(after, 'unsubscribe', now).ok).toBe(false);
    expect(new TokenSigner([NEW]).verify(after, 'unsubscribe', now).ok).toBe(true);
    // once the previous key is dropped, its links are invalid
    expect(new TokenSigner([NEW]).verify(before, 'unsubscribe', now)).toEqual({ ok: false, code: 'token_invalid' });
  });
});
