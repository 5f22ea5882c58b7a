import { TokenSigner } from '../../src/subscribers/tokens';

describe('signed tokens', () => {
  const signer = new TokenSigner(['current-key-0123456789abcdef0123456789']);

  test('a token verifies for its own purpose and subscriber', () => {
    const t = signer.sign({ purpose: 'unsubscribe', subscriberId: 1234 });
    expect(signer.verify(t, 'unsubscribe')).toEqual({ ok: true, claims: { purpose: 'unsubscribe', subscriberId: 1234, expiresAt: undefined, nonce: undefined } });
  });

  test('a token for one purpose is refused for another', () => {
    const t = signer.sign({ purpose: 'unsubscribe', subscriberId: 7 });
    expect(signer.verify(t, 'confirm')).toEqual({ ok: false, code: 'token_wrong_purpose' });
  });

  test('a tampered token is refused', () => {
    const t = signer.sign({ purpose: 'preferences', subscriberId: 7 });
    const other = t.replace(/^p\.7\./, 'p.8.');
    expect(other).not.toBe(t);
    expect(signer.verify(other, 'preferences')).toEqual({ ok: false, code: 'token_invalid' });
    expect(signer.verify(`${t}x`, 'preferences')).toEqual({ ok: false, code: 'token_invalid' });
    expect(signer.verify(undefined, 'preferences')).toEqual({ ok: false, code: 'token_invalid' });
  });

  test('an expired confirm token is refused', () => {
    const t = signer.sign({ purpose: 'confirm', subscriberId: 7, nonce: 'n1', expiresAt: 1000 });
    expect(signer.verify(t, 'confirm', 999).ok).toBe(true);
    expect(signer.verify(t, 'confirm', 1001)).toEqual({ ok: false, code: 'token_expired' });
  });

  test('a token signed with a rotated-out key still verifies while that key is listed', () => {
    const old = new TokenSigner(['old-key-0123456789abcdef0123456789abcd']);
    const t = old.sign({ purpose: 'unsubscribe', subscriberId: 5 });
    expect(signer.verify(t, 'unsubscribe').ok).toBe(false);
    expect(new TokenSigner(['new-key-0123456789abcdef0123456789abcd', 'old-key-0123456789abcdef0123456789abcd']).verify(t, 'unsubscribe').ok).toBe(true);
  });
});
