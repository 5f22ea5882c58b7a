import { TokenSigner } from '../../src/subscribers/tokens';

describe('signed tokens', () => {
  const signer = new TokenSigner(['current-key-0123456789abcdef0123456789']);

  test('a token verifies for its own purpose and subscriber', () => {
    const t = signer.sign({ purpose: 'unsubscribe', subscriberId: 1234 });
    expect(signer.verify(t, 'unsubscribe')).toEqual({ ok: true, claims: { purpose: 'unsubscribe', subscriberId: 1234, expiresAt: undefined, nonce: undefined } });
  });

  test('a token naming its alert carries it signed; moving it to another alert breaks the MAC; five-part tokens still verify', () => {
    const t = signer.sign({ purpose: 'unsubscribe', subscriberId: 1234, alertId: '42' });
    expect(t.split('.')).toHaveLength(6);
    expect(signer.verify(t, 'unsubscribe')).toEqual({ ok: true, claims: { purpose: 'unsubscribe', subscriberId: 1234, expiresAt: undefined, nonce: undefined, alertId: '42' } });
    const parts = t.split('.');
    parts[4] = (43).toString(36);
    expect(signer.verify(parts.join('.'), 'unsubscribe')).toEqual({ ok: false, code: 'token_invalid' });
    // the alert part dropped: refused too (the MAC covered it)
    expect(signer.verify([...parts.slice(0, 4), parts[5]].join('.'), 'unsubscribe')).toEqual({ ok: false, code: 'token_invalid' });
    // a leading zero is a second spelling of the same alert: refused
    parts[4] = `0${(42).toString(36)}`;
    expect(signer.verify(parts.join('.'), 'unsubscribe')).toEqual({ ok: false, code: 'token_invalid' });
    // a click token is no unsubscribe token
    const click = signer.sign({ purpose: 'click', subscriberId: 1234, alertId: '42', expiresAt: 2000 });
    expect(signer.verify(click, 'unsubscribe')).toEqual({ ok: false, code: 'token_wrong_purpose' });
    expect(signer.verify(click, 'click', 1000)).toMatchObject({ ok: true, claims: { alertId: '42', subscriberId: 1234 } });
    expect(signer.verify(click, 'click', 2001)).toEqual({ ok: false, code: 'token_expired' });
    expect(() => signer.sign({ purpose: 'click', subscriberId: 1, alertId: '../x' })).toThrow();
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

describe('one spelling per token', () => {
  const signer = new TokenSigner(['current-key-0123456789abcdef0123456789']);
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  /** The same 16 MAC bytes with different unused low bits in the last base64 character. */
  const otherLastChar = (t: string) => t.slice(0, -1) + B64[B64.indexOf(t.at(-1)!) ^ 1];
  const t = signer.sign({ purpose: 'confirm', subscriberId: 1234, nonce: 'abcDEF12', expiresAt: 2_000_000_000 });

  test.each([
    ['the MAC’s unused bits changed', otherLastChar(t)],
    ['base64 padding after the MAC', `${t}==`],
    ['the MAC in standard base64 (+/ for -_)', t.replace(/-/g, '+').replace(/_/g, '/') === t ? `${t.slice(0, -1)}+` : t.replace(/-/g, '+').replace(/_/g, '/')],
    ['the id in upper case', t.replace(/^c\.([0-9a-z]+)\./, (_m, id: string) => `c.${id.toUpperCase()}.`)],
    ['the id with a leading zero', t.replace(/^c\./, 'c.0')],
    ['the expiry with a leading zero', t.replace(/^(c\.[0-9a-z]+\.)/, '$10')],
    ['a space after the token', `${t} `],
  ])('%s is refused', (_name, variant) => {
    expect(variant).not.toBe(t);
    expect(signer.verify(t, 'confirm', 1).ok).toBe(true);
    expect(signer.verify(variant, 'confirm', 1)).toEqual({ ok: false, code: 'token_invalid' });
  });
});
