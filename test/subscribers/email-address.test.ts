import { normaliseAddress } from '../../src/subscribers/email-address';

describe('sign-up address normalisation', () => {
  test.each([
    ['  Budi.Santoso@Contoh.CO.ID ', 'budi.santoso@contoh.co.id'],
    ['ani+berita@example.com', 'ani+berita@example.com'],
    ['warga@bücher.example', 'warga@xn--bcher-kva.example'],
  ])('%p becomes %p', (input, expected) => {
    expect(normaliseAddress(input)).toEqual({ ok: true, address: expected });
  });

  test.each([
    ['no at sign', 'budi.example.com'],
    ['a space inside', 'budi santoso@example.com'],
    ['a header injection', 'budi@example.com\r\nBcc: victim@example.com'],
    ['a 65-character local part', `${'a'.repeat(65)}@example.com`],
    ['more than 254 characters', `${'a'.repeat(60)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`],
    ['a quoted local part', '"budi santoso"@example.com'],
    ['no domain dot', 'budi@localhost'],
    ['a number', 42],
    ['an empty string', ''],
  ])('rejects %s', (_what, input) => {
    expect(normaliseAddress(input).ok).toBe(false);
  });
});
