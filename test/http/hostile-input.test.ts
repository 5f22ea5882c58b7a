import { gzipSync } from 'node:zlib';
import { TokenSigner } from '../../src/subscribers/tokens';
import { PUBLISHER_TOKEN, SECRET_KEY, startKilat, waitUntil, type Kilat } from '../helpers/kilat';
import { redisFingerprint } from '../helpers/redis-fingerprint';
import { formSession, type FormSession } from '../helpers/forms';

/**
 * The hostile-input battery: every row is a request a careless or malicious client could send. Each
 * must get a clear 4xx (`{error:{code,message}}` on /api, a readable HTML page elsewhere), never a
 * 5xx, and none may change anything: Redis and the outgoing mail are compared before and after.
 */
interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path: string | (() => string);
  headers?: Record<string, string>;
  body?: string | Buffer | (() => string);
  status: number;
  /** The error code expected in the JSON body (API routes). */
  code?: string;
  /**
   * For the HTML forms: what CSRF material goes along. 'valid' is what a browser that loaded the
   * page sends, so the row tests what lies behind the CSRF check; the others are forgeries.
   */
  csrf?: 'valid' | 'field-only' | 'cookie-only' | 'mismatch' | 'tampered';
}

const AUTH = { authorization: `Bearer ${PUBLISHER_TOKEN}` };
const JSON_CT = { 'content-type': 'application/json' };
const FORM_CT = { 'content-type': 'application/x-www-form-urlencoded' };
const signer = new TokenSigner([SECRET_KEY]);
const otherSigner = new TokenSigner(['another-secret-key-that-is-long-enough-000']);

// ---- addresses that must be refused (JSON sign-up and the HTML form) -------------------------
const BAD_ADDRESSES: [string, unknown][] = [
  ['empty', ''],
  ['only spaces', '   '],
  ['no @', 'plainaddress'],
  ['no local part', '@example.com'],
  ['no domain', 'user@'],
  ['two @', 'user@@example.com'],
  ['space in local part', 'user name@example.com'],
  ['space in domain', 'user@exa mple.com'],
  ['CRLF Bcc injection', 'user@example.com\r\nBcc: victim@example.com'],
  ['LF header injection', 'user@example.com\nSubject: spam'],
  ['CR injection in local part', 'us\rer@example.com'],
  ['NUL byte', 'user\u0000@example.com'],
  ['tab', 'user\t@example.com'],
  ['DEL character', 'user\u007f@example.com'],
  ['65-character local part', `${'a'.repeat(65)}@example.com`],
  ['255 characters total', `${'a'.repeat(60)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`],
  ['quoted local part', '"john doe"@example.com'],
  ['quoted local part without space', '"john"@example.com'],
  ['single-label domain', 'user@localhost'],
  ['IP-literal domain', 'user@[127.0.0.1]'],
  ['bare IP domain', 'user@127.0.0.1'],
  ['domain starts with hyphen', 'user@-example.com'],
  ['empty domain label', 'user@example..com'],
  ['leading dot in local part', '.user@example.com'],
  ['trailing dot in local part', 'user.@example.com'],
  ['double dot in local part', 'us..er@example.com'],
  ['one-letter TLD', 'user@example.c'],
  ['underscore in domain', 'user@ex_ample.com'],
  ['angle brackets', '<user@example.com>'],
  ['display name', 'User <user@example.com>'],
  ['script in local part', '<script>alert(1)</script>@example.com'],
  ['comma list', 'a@example.com,b@example.com'],
  ['semicolon list', 'a@example.com;b@example.com'],
  ['encoded word', '=?utf-8?b?dXNlcg==?=@example.com'],
  ['unicode local part', 'pengguna.ñ@example.com'],
  ['RTL override', 'user\u202e@example.com'],
  ['zero-width space', 'us\u200ber@example.com'],
  ['IDN without TLD', 'user@例子'],
  ['broken punycode', 'user@xn--.com'],
  ['321 characters', `${'a'.repeat(64)}@${'b'.repeat(256)}`],
  ['number', 12345],
  ['null', null],
  ['true', true],
  ['array', ['user@example.com']],
  ['object', { address: 'user@example.com' }],
];

// ---- article bodies that must be refused ----------------------------------------------------
const okArticle = { title: 'Gempa di laut', body: 'Paragraf satu.\n\nParagraf dua.' };
const BAD_ARTICLES: [string, unknown][] = [
  ['missing title', { body: 'x' }],
  ['missing body', { title: 'x' }],
  ['empty title', { ...okArticle, title: '' }],
  ['blank title', { ...okArticle, title: '   ' }],
  ['empty body', { ...okArticle, body: '' }],
  ['whitespace body', { ...okArticle, body: ' \n\n \t ' }],
  ['title 301 characters', { ...okArticle, title: 'a'.repeat(301) }],
  ['CRLF in title (header injection)', { ...okArticle, title: 'Berita\r\nBcc: all@example.com' }],
  ['LF in title', { ...okArticle, title: 'Berita\nX-Evil: 1' }],
  ['NUL in title', { ...okArticle, title: 'Ber\u0000ita' }],
  ['escape char in title', { ...okArticle, title: 'Ber\u001bita' }],
  ['NUL in body', { ...okArticle, body: 'a\u0000b' }],
  ['form feed in summary', { ...okArticle, summary: 'a\u000cb' }],
  ['body over 200,000 characters', { ...okArticle, body: 'a'.repeat(200_001) }],
  ['summary over 2,000 characters', { ...okArticle, summary: 'a'.repeat(2001) }],
  ['javascript: url', { ...okArticle, url: 'javascript:alert(document.cookie)' }],
  ['JaVaScRiPt: url', { ...okArticle, url: 'JaVaScRiPt:alert(1)' }],
  ['data: url', { ...okArticle, url: 'data:text/html,<script>alert(1)</script>' }],
  ['vbscript: url', { ...okArticle, url: 'vbscript:msgbox(1)' }],
  ['file: url', { ...okArticle, url: 'file:///etc/passwd' }],
  ['ftp: url', { ...okArticle, url: 'ftp://example.com/a' }],
  ['mailto: url', { ...okArticle, url: 'mailto:a@example.com' }],
  ['protocol-relative url', { ...okArticle, url: '//example.com/a' }],
  ['relative url', { ...okArticle, url: '/berita/1' }],
  ['url without scheme', { ...okArticle, url: 'example.com/a' }],
  ['url 2049 characters', { ...okArticle, url: `https://example.com/${'a'.repeat(2030)}` }],
  ['url is a number', { ...okArticle, url: 42 }],
  ['javascript: imageUrl', { ...okArticle, imageUrl: 'javascript:alert(1)' }],
  ['data: imageUrl', { ...okArticle, imageUrl: 'data:image/svg+xml,<svg onload=alert(1)>' }],
  ['unknown field', { ...okArticle, priority: 'high' }],
  ['__proto__ field', JSON.parse('{"title":"a","body":"b","__proto__":{"admin":true}}')],
  ['constructor field', { ...okArticle, constructor: { prototype: {} } }],
  ['title is a number', { ...okArticle, title: 1 }],
  ['title is an array', { ...okArticle, title: ['a'] }],
  ['body is an object', { ...okArticle, body: { text: 'x' } }],
  ['locale fr', { ...okArticle, locale: 'fr' }],
  ['locale is a number', { ...okArticle, locale: 1 }],
  ['topics is a string', { ...okArticle, topics: 'politik' }],
  ['unknown topic', { ...okArticle, topics: ['gosip'] }],
  ['topic with script', { ...okArticle, topics: ['<script>'] }],
  ['topics of numbers', { ...okArticle, topics: [1, 2] }],
  ['nested topics', { ...okArticle, topics: [['politik']] }],
  ['10,000 topics', { ...okArticle, topics: Array(10_000).fill('politik') }],
  ['six topics (more than exist)', { ...okArticle, topics: ['politik', 'ekonomi', 'dunia', 'olahraga', 'teknologi', 'politik'] }],
  ['publishedAt not a date', { ...okArticle, publishedAt: 'kemarin' }],
  ['publishedAt without offset', { ...okArticle, publishedAt: '2026-01-01T10:00:00' }],
  ['publishedAt a number', { ...okArticle, publishedAt: 1767225600000 }],
  ['id with spaces', { ...okArticle, id: 'a b' }],
  ['id 201 characters', { ...okArticle, id: 'a'.repeat(201) }],
  ['id non-ASCII', { ...okArticle, id: 'berita-ü' }],
  ['author with newline', { ...okArticle, author: 'A\nB' }],
  ['author 201 characters', { ...okArticle, author: 'a'.repeat(201) }],
  ['null title', { ...okArticle, title: null }],
  ['array body', [okArticle]],
  ['empty object', {}],
];

// ---- sign-up JSON bodies that must be refused (other than the address) ------------------------
const BAD_SIGNUPS: [string, unknown][] = [
  ['missing email', { locale: 'id' }],
  ['unknown field', { email: 'ok@contoh.co.id', admin: true }],
  ['status field', { email: 'ok@contoh.co.id', status: 'confirmed' }],
  ['locale fr', { email: 'ok@contoh.co.id', locale: 'fr' }],
  ['locale is an object', { email: 'ok@contoh.co.id', locale: { id: 1 } }],
  ['topics is a string', { email: 'ok@contoh.co.id', topics: 'politik' }],
  ['unknown topic', { email: 'ok@contoh.co.id', topics: ['gosip'] }],
  ['10,000 topics', { email: 'ok@contoh.co.id', topics: Array(10_000).fill('politik') }],
  ['topics of null', { email: 'ok@contoh.co.id', topics: [null] }],
  ['__proto__ field', JSON.parse('{"email":"ok@contoh.co.id","__proto__":{"status":"confirmed"}}')],
  ['email 10,000 characters', { email: `${'a'.repeat(10_000)}@example.com` }],
  ['array body', [{ email: 'ok@contoh.co.id' }]],
  ['empty object', {}],
];

const MALFORMED_JSON: [string, string | Buffer][] = [
  ['unclosed object', '{'],
  ['missing value', '{"email": }'],
  ['single quotes', "{'email':'a@b.co'}"],
  ['trailing comma', '{"email":"a@b.co",}'],
  ['comments', '{"email":"a@b.co" /* hi */}'],
  ['bare string', '"a@b.co"'],
  ['bare number', '42'],
  ['null', 'null'],
  ['NaN', '{"email": NaN}'],
  ['two objects', '{}{}'],
  ['unquoted key', '{email:"a@b.co"}'],
  ['control character in string', '{"email":"a\u0001@b.co"}'],
  ['truncated unicode escape', '{"email":"\\u12"}'],
];

const WRONG_TYPES: [string, Record<string, string>][] = [
  ['text/plain', { 'content-type': 'text/plain' }],
  ['form', { 'content-type': 'application/x-www-form-urlencoded' }],
  ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }],
  ['xml', { 'content-type': 'application/xml' }],
  ['html', { 'content-type': 'text/html' }],
  ['octet-stream', { 'content-type': 'application/octet-stream' }],
  ['no content type', {}],
];

const json = (v: unknown) => JSON.stringify(v);
const cases: Case[] = [];

for (const [name, email] of BAD_ADDRESSES) {
  cases.push({ name: `sign-up JSON, address: ${name}`, method: 'POST', path: '/api/subscriptions', headers: JSON_CT, body: json({ email }), status: 400, code: 'validation_failed' });
  if (typeof email === 'string') {
    cases.push({ name: `sign-up form, address: ${name}`, method: 'POST', path: '/subscribe', headers: FORM_CT, body: new URLSearchParams({ email }).toString(), status: 400, csrf: 'valid' });
  }
}
for (const [name, body] of BAD_SIGNUPS) {
  cases.push({ name: `sign-up JSON: ${name}`, method: 'POST', path: '/api/subscriptions', headers: JSON_CT, body: json(body), status: 400, code: 'validation_failed' });
}
for (const [name, body] of BAD_ARTICLES) {
  cases.push({ name: `publish: ${name}`, method: 'POST', path: '/api/articles', headers: { ...JSON_CT, ...AUTH }, body: json(body), status: 400, code: 'validation_failed' });
}
for (const [route, headers] of [['/api/subscriptions', {}], ['/api/articles', AUTH]] as const) {
  for (const [name, body] of MALFORMED_JSON) {
    cases.push({ name: `${route} malformed JSON: ${name}`, method: 'POST', path: route, headers: { ...JSON_CT, ...headers }, body, status: 400, code: 'invalid_json' });
  }
  for (const [name, ct] of WRONG_TYPES) {
    cases.push({ name: `${route} wrong content type: ${name}`, method: 'POST', path: route, headers: { ...ct, ...headers }, body: json({ email: 'a@b.co', ...okArticle }), status: 415, code: 'unsupported_media_type' });
  }
  cases.push(
    { name: `${route} 300 KB body`, method: 'POST', path: route, headers: { ...JSON_CT, ...headers }, body: json({ email: 'a@b.co', pad: 'x'.repeat(300_000) }), status: 413, code: 'payload_too_large' },
    { name: `${route} 5 MB body`, method: 'POST', path: route, headers: { ...JSON_CT, ...headers }, body: Buffer.alloc(5_000_000, 0x20), status: 413, code: 'payload_too_large' },
    { name: `${route} latin1 charset`, method: 'POST', path: route, headers: { 'content-type': 'application/json; charset=latin1', ...headers }, body: '{}', status: 415, code: 'unsupported_encoding' },
    { name: `${route} unknown charset`, method: 'POST', path: route, headers: { 'content-type': 'application/json; charset=klingon', ...headers }, body: '{}', status: 415, code: 'unsupported_encoding' },
    { name: `${route} utf-7 charset (decoded, then refused as invalid)`, method: 'POST', path: route, headers: { 'content-type': 'application/json; charset=utf-7', ...headers }, body: '{}', status: 400, code: 'validation_failed' },
    { name: `${route} empty JSON body`, method: 'POST', path: route, headers: { ...JSON_CT, ...headers }, body: '', status: 400, code: 'validation_failed' },
    { name: `${route} whitespace JSON body`, method: 'POST', path: route, headers: { ...JSON_CT, ...headers }, body: '  \n ', status: 400 },
    { name: `${route} 100,000 topics (over the body limit)`, method: 'POST', path: route, headers: { ...JSON_CT, ...headers }, body: json({ email: 'ok@contoh.co.id', ...okArticle, topics: Array(100_000).fill('politik') }), status: 413, code: 'payload_too_large' },
    { name: `${route} unknown content-encoding`, method: 'POST', path: route, headers: { ...JSON_CT, 'content-encoding': 'compress', ...headers }, body: '{}', status: 415, code: 'unsupported_encoding' },
    { name: `${route} bogus gzip`, method: 'POST', path: route, headers: { ...JSON_CT, 'content-encoding': 'gzip', ...headers }, body: 'not gzip at all', status: 400 },
    { name: `${route} gzip bomb (10 MB inflated)`, method: 'POST', path: route, headers: { ...JSON_CT, 'content-encoding': 'gzip', ...headers }, body: gzipSync(Buffer.alloc(10_000_000, 0x20)), status: 413, code: 'payload_too_large' },
    { name: `${route} invalid UTF-8 bytes`, method: 'POST', path: route, headers: { ...JSON_CT, ...headers }, body: Buffer.from([0x7b, 0x22, 0x65, 0x6d, 0x61, 0x69, 0x6c, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x40, 0x62, 0x2e, 0x63, 0x6f, 0x22, 0x7d]), status: 400 },
  );
}

// ---- publisher authentication ----------------------------------------------------------------
const AUTH_FAILS: [string, Record<string, string>][] = [
  ['no Authorization', {}],
  ['wrong token', { authorization: 'Bearer wrong-token-0123456789abcdef' }],
  ['token with one character changed', { authorization: `Bearer ${PUBLISHER_TOKEN.slice(0, -1)}X` }],
  ['token prefix only', { authorization: `Bearer ${PUBLISHER_TOKEN.slice(0, 10)}` }],
  ['token with suffix', { authorization: `Bearer ${PUBLISHER_TOKEN}x` }],
  ['Basic scheme', { authorization: `Basic ${Buffer.from(`x:${PUBLISHER_TOKEN}`).toString('base64')}` }],
  ['bare token', { authorization: PUBLISHER_TOKEN }],
  ['empty bearer', { authorization: 'Bearer ' }],
  ['two tokens', { authorization: `Bearer ${PUBLISHER_TOKEN} ${PUBLISHER_TOKEN}` }],
  ['token in another header', { 'x-api-key': PUBLISHER_TOKEN }],
];
for (const [name, headers] of AUTH_FAILS) {
  cases.push(
    { name: `publish, ${name}`, method: 'POST', path: '/api/articles', headers: { ...JSON_CT, ...headers }, body: json(okArticle), status: 401, code: 'unauthorized' },
    { name: `alert status, ${name}`, method: 'GET', path: '/api/alerts/1', headers, status: 401, code: 'unauthorized' },
    { name: `pause, ${name}`, method: 'POST', path: '/api/alerts/1/pause', headers, status: 401, code: 'unauthorized' },
  );
}
cases.push({ name: 'publish, token in the query string', method: 'POST', path: `/api/articles?token=${PUBLISHER_TOKEN}`, headers: JSON_CT, body: json(okArticle), status: 401, code: 'unauthorized' });

for (const id of ['0', '-1', '1e3', '1.5', 'abc', '99999999999999999999', '..%2f..%2fetc', '%00', '1%20', '<script>', '999999']) {
  cases.push(
    { name: `alert status, id ${id}`, method: 'GET', path: `/api/alerts/${id}`, headers: AUTH, status: 404, code: 'alert_not_found' },
    { name: `cancel, id ${id}`, method: 'POST', path: `/api/alerts/${id}/cancel`, headers: AUTH, status: 404, code: 'alert_not_found' },
  );
}

// ---- routes that do not exist ------------------------------------------------------------------
for (const [method, path] of [
  ['GET', '/api'],
  ['GET', '/api/subscriptions'],
  ['PUT', '/api/subscriptions'],
  ['DELETE', '/api/subscriptions'],
  ['GET', '/api/articles'],
  ['PATCH', '/api/articles'],
  ['DELETE', '/api/alerts/1'],
  ['POST', '/api/alerts/1/restart'],
  ['GET', '/api/alerts/1/pause'],
] as const) {
  cases.push({ name: `unknown API route ${method} ${path}`, method, path, headers: AUTH, status: 404, code: 'not_found' });
}
for (const [method, path] of [
  ['GET', '/wp-admin'],
  ['GET', '/dev/outbox'],
  ['GET', '/.env'],
  ['GET', '/api/../../etc/passwd'],
  ['GET', '/api/alerts/%2e%2e'],
  ['GET', '/subscribe'],
  ['PUT', '/subscribe'],
  ['DELETE', '/unsubscribe'],
  ['GET', '/%3Cscript%3Ealert(1)%3C%2Fscript%3E'],
] as const) {
  cases.push({ name: `unknown page ${method} ${path}`, method, path, status: 404 });
}

// ---- the HTML form ---------------------------------------------------------------------------
cases.push(
  { name: 'sign-up form, no body', method: 'POST', path: '/subscribe', headers: FORM_CT, status: 400, csrf: 'valid' },
  { name: 'sign-up form, unknown topic', method: 'POST', path: '/subscribe', headers: FORM_CT, body: 'email=a%40contoh.co.id&topics=gosip', status: 400, csrf: 'valid' },
  { name: 'sign-up form, 60 fields', method: 'POST', path: '/subscribe', headers: FORM_CT, body: Array.from({ length: 60 }, (_, i) => `f${i}=1`).join('&'), status: 413, csrf: 'valid' },
  { name: 'sign-up form, 20 KB body', method: 'POST', path: '/subscribe', headers: FORM_CT, body: `email=${'a'.repeat(20_000)}`, status: 413, csrf: 'valid' },
  { name: 'sign-up form, email array', method: 'POST', path: '/subscribe', headers: FORM_CT, body: 'email=a%40contoh.co.id&email=b%40contoh.co.id', status: 400, csrf: 'valid' },
  { name: 'sign-up form, bad address with extra fields', method: 'POST', path: '/subscribe', headers: FORM_CT, body: 'email=a%40contoh&status=confirmed&id=1', status: 400, csrf: 'valid' },
);

// ---- cross-site form posts: a valid sign-up or preference change without the page's CSRF pair ----
const FORGED: [string, Case['csrf']][] = [
  ['no CSRF token or cookie', undefined],
  ['CSRF field without its cookie', 'field-only'],
  ['CSRF cookie without the field', 'cookie-only'],
  ['CSRF field from another browser', 'mismatch'],
  ['CSRF pair edited', 'tampered'],
];
for (const [name, csrf] of FORGED) {
  cases.push(
    { name: `sign-up form, ${name}`, method: 'POST', path: '/subscribe', headers: FORM_CT, body: 'email=korban%40contoh.co.id', status: 403, csrf },
    { name: `sign-up form sent as JSON, ${name}`, method: 'POST', path: '/subscribe', headers: JSON_CT, body: json({ email: 'korban@contoh.co.id' }), status: 403, csrf },
    { name: `preferences pause, ${name}`, method: 'POST', path: () => `/preferences?token=${tok.preferences()}`, headers: FORM_CT, body: 'action=pause', status: 403, csrf },
    { name: `preferences delete, ${name}`, method: 'POST', path: () => `/preferences?token=${tok.preferences()}`, headers: FORM_CT, body: 'action=delete&confirm=yes', status: 403, csrf },
    { name: `preferences save, ${name}`, method: 'POST', path: () => `/preferences?token=${tok.preferences()}`, headers: FORM_CT, body: 'locale=en&topics=dunia', status: 403, csrf },
  );
}

// ---- signed links: tampered, wrong purpose, expired, forged, replayed --------------------------
// Filled in beforeAll: ids of a confirmed and a pending subscriber.
const ids = { confirmed: 0, pending: 0 };
const tok = {
  unsubscribe: () => signer.sign({ purpose: 'unsubscribe', subscriberId: ids.confirmed }),
  preferences: () => signer.sign({ purpose: 'preferences', subscriberId: ids.confirmed }),
  confirmStale: () => signer.sign({ purpose: 'confirm', subscriberId: ids.pending, nonce: 'oldnonce', expiresAt: Math.floor(Date.now() / 1000) + 3600 }),
};
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const otherSpelling = (t: string) => t.slice(0, -1) + B64[B64.indexOf(t.at(-1)!) ^ 1];
const flipLast = (t: string) => t.slice(0, -1) + (t.endsWith('A') ? 'B' : 'A');
const BAD_TOKENS: [string, (purpose: 'confirm' | 'unsubscribe' | 'preferences') => string | undefined][] = [
  ['missing', () => undefined],
  ['empty', () => ''],
  ['garbage', () => 'garbage'],
  ['five dots', () => '....'],
  ['MAC changed', (p) => flipLast(p === 'confirm' ? tok.confirmStale() : tok[p]())],
  ['MAC removed', (p) => (p === 'confirm' ? tok.confirmStale() : tok[p]()).replace(/\.[^.]*$/, '.')],
  ['id changed, MAC kept', (p) => (p === 'confirm' ? tok.confirmStale() : tok[p]()).replace(/^(\w)\.(\w+)\./, (_m, c, id) => `${c}.${(parseInt(id, 36) + 16).toString(36)}.`)],
  ['purpose letter changed', (p) => (p === 'unsubscribe' ? tok.preferences() : tok.unsubscribe()).replace(/^\w/, p[0]!)],
  ['extra segment', (p) => `${p === 'confirm' ? tok.confirmStale() : tok[p]()}.x`],
  ['signed with another key', (p) => otherSigner.sign({ purpose: p, subscriberId: ids.confirmed, nonce: 'n', expiresAt: p === 'confirm' ? 9_999_999_999 : undefined })],
  ['wrong purpose', (p) => (p === 'unsubscribe' ? tok.preferences() : tok.unsubscribe())],
  ['expired', (p) => signer.sign({ purpose: p, subscriberId: ids.pending, nonce: 'x', expiresAt: Math.floor(Date.now() / 1000) - 60 })],
  ['unknown subscriber', (p) => signer.sign({ purpose: p, subscriberId: 987_654_320, nonce: 'x', expiresAt: p === 'confirm' ? 9_999_999_999 : undefined })],
  ['negative id', () => 'u.-1..' + '.AAAAAAAAAAAAAAAAAAAAAA'],
  ['5,000 characters', () => 'a'.repeat(5000)],
  ['unicode', () => 'ü.ü.ü.ü.ü'],
  // The same MAC bytes spelled another way: lenient base64 decoders read all of these as the real one.
  ['MAC with other unused bits', (p) => otherSpelling(p === 'confirm' ? tok.confirmStale() : tok[p]())],
  ['MAC with base64 padding', (p) => `${p === 'confirm' ? tok.confirmStale() : tok[p]()}==`],
];
for (const [name, make] of BAD_TOKENS) {
  for (const [method, route, purpose] of [
    ['GET', '/confirm', 'confirm'],
    ['GET', '/unsubscribe', 'unsubscribe'],
    ['POST', '/unsubscribe', 'unsubscribe'],
    ['GET', '/preferences', 'preferences'],
    ['POST', '/preferences', 'preferences'],
  ] as const) {
    cases.push({
      name: `${method} ${route}, token ${name}`,
      method,
      path: () => {
        const t = make(purpose);
        return t === undefined ? route : `${route}?token=${encodeURIComponent(t)}`;
      },
      headers: method === 'POST' ? FORM_CT : undefined,
      body: method === 'POST' ? (route === '/preferences' ? 'locale=en&topics=politik' : 'List-Unsubscribe=One-Click') : undefined,
      status: 400,
      csrf: route === '/preferences' && method === 'POST' ? 'valid' : undefined,
    });
  }
}
cases.push(
  { name: 'confirm, stale nonce (an older sign-up link replayed)', method: 'GET', path: () => `/confirm?token=${tok.confirmStale()}`, status: 400 },
  { name: 'confirm, token given twice', method: 'GET', path: () => `/confirm?token=${tok.confirmStale()}&token=${tok.confirmStale()}`, status: 400 },
  { name: 'unsubscribe, token given twice', method: 'POST', path: () => `/unsubscribe?token=${tok.unsubscribe()}&token=x`, headers: FORM_CT, body: 'List-Unsubscribe=One-Click', status: 400 },
  { name: 'unsubscribe, token as object', method: 'POST', path: () => `/unsubscribe?token[a]=${tok.unsubscribe()}`, headers: FORM_CT, body: 'List-Unsubscribe=One-Click', status: 400 },
  { name: 'preferences, token given twice', method: 'POST', path: () => `/preferences?token=${tok.preferences()}&token=${tok.preferences()}`, headers: FORM_CT, body: 'locale=en', status: 400, csrf: 'valid' },
);

describe('hostile and broken input, every endpoint', () => {
  let k: Kilat;
  let before: string;
  let mailBefore: number;
  let session: FormSession;
  let otherSession: FormSession;
  beforeAll(async () => {
    // No workers: nothing may even be queued, and Redis must stay byte-for-byte the same.
    k = await startKilat({ workers: false });
    const subs = k.api.core.subscribers;
    const a = await subs.signup({ email: 'tetap@contoh.co.id', locale: 'id', topics: ['politik'] });
    await subs.confirm(a.id, (await subs.get(a.id))!.nonce);
    const b = await subs.signup({ email: 'menunggu@contoh.co.id', locale: 'id', topics: [] });
    ids.confirmed = a.id;
    ids.pending = b.id;
    session = await formSession(`${k.baseUrl}/`);
    otherSession = await formSession(`${k.baseUrl}/`);
    before = await redisFingerprint(k.redis.client);
    mailBefore = k.smtp.messages.length;
  });
  afterAll(async () => {
    await k.stop();
  });

  test('the battery has at least 200 rows', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const path = typeof c.path === 'function' ? c.path() : c.path;
    let body = typeof c.body === 'function' ? c.body() : c.body;
    const headers = { ...c.headers };
    const field = (t: string) => `${body ? `${body}&` : ''}_csrf=${encodeURIComponent(t)}`;
    const edit = (t: string) => t.slice(0, 10) + (t[10] === 'a' ? 'b' : 'a') + t.slice(11);
    switch (c.csrf) {
      case 'valid':
        headers.cookie = session.cookie;
        if (typeof body !== 'object') body = field(session.token);
        break;
      case 'field-only':
        body = field(session.token);
        break;
      case 'cookie-only':
        headers.cookie = session.cookie;
        break;
      case 'mismatch':
        headers.cookie = session.cookie;
        body = field(otherSession.token);
        break;
      case 'tampered':
        headers.cookie = session.cookie.replace(session.token, edit(session.token));
        body = field(edit(session.token));
        break;
    }
    const res = await fetch(`${k.baseUrl}${path}`, { method: c.method, headers, body });
    const text = await res.text();
    expect({ status: res.status, text: text.slice(0, 300) }).toEqual({ status: c.status, text: expect.any(String) });
    // fetch resolves dot segments as a browser would; what the server saw decides the format
    const served = new URL(res.url).pathname;
    const isApi = served === '/api' || served.startsWith('/api/');
    if (isApi) {
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const parsed = JSON.parse(text);
      expect(parsed).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
      if (c.code) expect(parsed.error.code).toBe(c.code);
    } else {
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(text).toMatch(/^<!doctype html>/);
      expect(text).toMatch(/<h1>[^<]+<\/h1>/);
    }
  });

  test('no row changed anything: Redis is the same and no mail went out', async () => {
    expect(await redisFingerprint(k.redis.client)).toBe(before);
    expect(k.smtp.messages.length).toBe(mailBefore);
    const s = await k.api.core.subscribers.get(ids.confirmed);
    expect(s).toMatchObject({ status: 'confirmed', locale: 'id', topics: ['politik'] });
  });
});

// ---- accepted input: content that passes validation must never reach another reader's links ----
// Every placeholder or marker syntax Kilat ever used, or uses now, or that a template language
// reads, placed in every article field that reaches an email. Each article is published, delivered
// to two readers and parsed: each reader's own links must appear only where the template put them,
// and every alert must complete.
const hex = (n: number) => Array.from({ length: n }, (_, i) => '0123456789abcdef'[(i * 7 + 3) % 16]).join('');
const SYNTAXES: [string, string][] = [
  ['old slot UNSUBSCRIBE_URL', '%%UNSUBSCRIBE_URL%%'],
  ['old slot PREFERENCES_URL', '%%PREFERENCES_URL%%'],
  ['old slot CONFIRM_URL', '%%CONFIRM_URL%%'],
  ['unknown old-style slot', '%%NAMA_PEMBACA%%'],
  ['old MailComposer recipient marker', 'kilat-recipient@placeholder.invalid'],
  ['old Message-ID marker', 'kilat-message-id'],
  ['old Date marker', 'kilat-message-date'],
  ['old text-part marker', 'KILATTEXTPART\u00e9'],
  ['old html-part marker', 'KILATHTMLPART\u00e9'],
  ['old text-part marker, base64', Buffer.from('KILATTEXTPART\u00e9').toString('base64')],
  ['old html-part marker, base64', Buffer.from('KILATHTMLPART\u00e9').toString('base64')],
  ['old header marker 0', 'kilat-header-0'],
  ['old header marker 1', 'kilat-header-1'],
  ['new slot helper', '{{slot "PREFERENCES_URL"}}'],
  ['new slot marker shape', `kslot${hex(32)}n1e`],
  ['new slot marker shape, zero nonce', `kslot${'0'.repeat(32)}n0e`],
  ['new MailComposer marker shape', `k${hex(24)}h0`],
  ['new recipient marker shape', `k${hex(24)}to@placeholder.invalid`],
  ['handlebars variable', '{{title}} {{lead}}'],
  ['handlebars triple-stash', '{{{reason}}}'],
  ['handlebars block', '{{#each paragraphs}}X{{/each}}'],
  ['handlebars partial and lookup', '{{> footer}} {{lookup . "constructor"}}'],
  ['MJML break-out', '</mj-text><mj-raw><a href="https://evil.example/">x</a></mj-raw><mj-text>'],
  ['mj-include', '<mj-include path="/etc/passwd" />'],
  ['CDATA end and comment', ']]> <!-- x -->'],
  ['encoded word', '=?utf-8?B?S0lMQVQ=?='],
];
const FIELDS = ['title', 'summary', 'body', 'author', 'url', 'imageUrl'] as const;
type Field = (typeof FIELDS)[number];
const valueFor = (field: Field, syntax: string) =>
  field === 'url' || field === 'imageUrl' ? `https://evil.example/pixel.gif?u=${syntax}` : field === 'body' ? `Paragraf ${syntax} satu.\n\nParagraf dua ${syntax}.` : `Isi ${syntax} di sini`;
const decodeEntities = (s: string) =>
  s.replace(/&(quot|amp|lt|gt|#x27|#x3D|#x60|#39|#61|#96);/g, (_m, e: string) => ({ quot: '"', amp: '&', lt: '<', gt: '>', '#x27': "'", '#x3D': '=', '#x60': '`', '#39': "'", '#61': '=', '#96': '`' })[e]!);

describe('accepted hostile content: every article field × every placeholder and marker syntax', () => {
  let k: Kilat;
  const readers = ['pembaca.satu@contoh.co.id', 'pembaca.dua@contoh.co.id'];
  const readerIds: number[] = [];
  const alertIds = new Map<string, string>();
  const combos = FIELDS.flatMap((field) => SYNTAXES.map(([name, syntax]) => ({ field, name, syntax, key: `${field} ← ${name}` })));

  beforeAll(async () => {
    k = await startKilat();
    for (const email of readers) {
      const s = await k.api.core.subscribers.signup({ email, locale: 'id', topics: [] });
      await k.api.core.subscribers.confirm(s.id, (await k.api.core.subscribers.get(s.id))!.nonce);
      readerIds.push(s.id);
    }
    let n = 0;
    for (const c of combos) {
      const article: Record<string, string> = { id: `hostile-${n++}`, title: `Kabar ${n}`, body: 'Paragraf biasa.\n\nParagraf kedua.', locale: 'id' };
      article[c.field] = valueFor(c.field, c.syntax);
      const res = await fetch(`${k.baseUrl}/api/articles`, { method: 'POST', headers: { ...JSON_CT, ...AUTH }, body: JSON.stringify(article) });
      const body = (await res.json()) as { alertId: string };
      if (res.status !== 202) throw new Error(`${c.key}: publish answered ${res.status} ${JSON.stringify(body)}`);
      alertIds.set(c.key, body.alertId);
    }
    await waitUntil(
      async () => {
        const states = await Promise.all([...alertIds.values()].map((id) => k.api.core.alerts.state(id)));
        return states.every((s) => s === 'completed' || s === 'failed');
      },
      120_000,
      'every hostile alert settled',
    );
  }, 180_000);
  afterAll(async () => {
    await k.stop();
  });

  test.each(combos.map((c) => [c.key, c] as const))('%s', async (_key, c) => {
    const alertId = alertIds.get(c.key)!;
    expect(await k.api.core.alerts.status(alertId)).toMatchObject({ state: 'completed', sent: 2, failed: 0 });
    const value = valueFor(c.field, c.syntax);
    const subject = c.field === 'title' ? value : `Kabar ${combos.indexOf(c) + 1}`;
    const links = k.api.core.links;
    readers.forEach((email, i) => {
      const mine = k.smtp.to(email).filter((m) => m.parsed.subject === subject);
      expect(mine).toHaveLength(1);
      const m = mine[0]!;
      // An alert's links name the alert (signed with the reader's token: per-alert outcomes).
      const own = { unsubscribe: links.unsubscribe(readerIds[i]!, alertId), preferences: links.preferences(readerIds[i]!, alertId) };
      const other = { unsubscribe: links.unsubscribe(readerIds[1 - i]!, alertId), preferences: links.preferences(readerIds[1 - i]!, alertId) };
      const html = m.parsed.html || '';
      const text = m.parsed.text || '';
      const head = m.raw.slice(0, m.raw.indexOf('\r\n\r\n'));
      // Where the template put them, and nowhere else.
      const attrs = [...html.matchAll(/\b(?:href|src)="([^"]*)"/g)].map((x) => decodeEntities(x[1]!));
      expect(attrs.filter((a) => /\/(unsubscribe|preferences)\?token=/.test(a))).toEqual([own.unsubscribe, own.preferences]);
      expect(html.split('token=').length - 1).toBe(2);
      expect(text.split('token=').length - 1).toBe(2);
      expect(text).toContain(`: ${own.unsubscribe}\n`);
      expect(text).toContain(`: ${own.preferences}`);
      expect(head.split('token=').length - 1).toBe(1);
      expect(/^List-Unsubscribe: <([^>]*)>\r?$/m.exec(head)?.[1]).toBe(own.unsubscribe);
      for (const part of [html, text, head]) {
        expect(part).not.toContain(other.unsubscribe.split('token=')[1]!);
        expect(part).not.toContain(other.preferences.split('token=')[1]!);
      }
      expect(m.parsed.to && !Array.isArray(m.parsed.to) ? m.parsed.to.text : '').toBe(email);
      expect(m.parsed.messageId).toMatch(/^<[^<>\s]+@kilat\.example>$/);
      // The content arrives as it was written.
      if (c.field === 'url' || c.field === 'imageUrl') expect(attrs).toContain(value);
      else if (c.field === 'body') expect(text).toContain(`Paragraf ${c.syntax} satu.`);
      else expect(text).toContain(value);
    });
  });
});
