import fc from 'fast-check';
import { bearer, startKilat, type Kilat } from '../helpers/kilat';

/**
 * Property-based fuzzing of the JSON endpoints: whatever the body (shaped like the real thing with
 * hostile values, arbitrary JSON, or raw bytes), the answer is never a 5xx, every 4xx carries
 * `{error:{code,message}}`, and the process keeps answering.
 */
const TOPICS = ['politik', 'ekonomi', 'dunia', 'olahraga', 'teknologi'];
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

const anyJson = fc.jsonValue({ maxDepth: 4 });
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', ' ', '\r\n', '\u0000', '<script>alert(1)</script>', 'javascript:alert(1)', '%%UNSUBSCRIBE_URL%%', '{{title}}', '__proto__', 'a'.repeat(5000)),
  fc.emailAddress(),
  anyJson,
);
const signupBody = fc.oneof(
  fc.record(
    { email: fc.oneof(fc.emailAddress(), nasty), locale: fc.oneof(fc.constantFrom('id', 'en'), nasty), topics: fc.oneof(fc.subarray(TOPICS), fc.array(nasty, { maxLength: 8 }), nasty) },
    { requiredKeys: [] },
  ),
  fc.dictionary(fc.string(), nasty, { maxKeys: 5 }),
  anyJson,
);
const articleBody = fc.oneof(
  fc.record(
    {
      id: nasty,
      title: fc.oneof(fc.string({ minLength: 1 }), nasty),
      body: fc.oneof(fc.lorem({ mode: 'sentences' }), nasty),
      url: fc.oneof(fc.webUrl(), nasty),
      imageUrl: fc.oneof(fc.webUrl(), nasty),
      summary: nasty,
      locale: fc.oneof(fc.constantFrom('id', 'en'), nasty),
      topics: fc.oneof(fc.subarray(TOPICS), fc.array(nasty, { maxLength: 8 })),
      author: nasty,
      publishedAt: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), nasty),
    },
    { requiredKeys: [] },
  ),
  fc.dictionary(fc.string(), nasty, { maxKeys: 5 }),
  anyJson,
);

describe('fuzzing the JSON endpoints (fast-check)', () => {
  let k: Kilat;
  beforeAll(async () => {
    // No workers: valid inputs only queue jobs; the property is about the HTTP layer.
    k = await startKilat({ workers: false });
  });
  afterAll(async () => {
    await k.stop();
  });

  async function post(path: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<void> {
    const res = await fetch(`${k.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const text = await res.text();
    if (res.status >= 500) throw new Error(`${res.status} for ${String(body).slice(0, 200)}: ${text.slice(0, 200)}`);
    if (res.status >= 400) {
      const parsed = JSON.parse(text);
      if (typeof parsed?.error?.code !== 'string' || typeof parsed?.error?.message !== 'string') throw new Error(`bad error body ${text}`);
    } else if (![200, 202].includes(res.status)) throw new Error(`unexpected ${res.status}`);
  }

  test(`POST /api/subscriptions: ${RUNS} structured and arbitrary bodies, never a 5xx`, async () => {
    await fc.assert(fc.asyncProperty(signupBody, (body) => post('/api/subscriptions', JSON.stringify(body))), { numRuns: RUNS });
  });

  test(`POST /api/articles: ${RUNS} structured and arbitrary bodies, never a 5xx`, async () => {
    await fc.assert(fc.asyncProperty(articleBody, (body) => post('/api/articles', JSON.stringify(body), bearer)), { numRuns: RUNS });
  });

  test(`raw bytes to both endpoints: ${RUNS / 2} bodies each, never a 5xx`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        await post('/api/subscriptions', bytes);
        await post('/api/articles', bytes, bearer);
      }),
      { numRuns: RUNS / 2 },
    );
  });

  test(`POST /api/subscribers/lookup and /unsubscribe: ${RUNS / 2} bodies each, never a 5xx`, async () => {
    const lookupBody = fc.oneof(fc.record({ email: fc.oneof(fc.emailAddress(), nasty) }, { requiredKeys: [] }), fc.dictionary(fc.string(), nasty, { maxKeys: 3 }), anyJson);
    await fc.assert(
      fc.asyncProperty(lookupBody, async (body) => {
        await post('/api/subscribers/lookup', JSON.stringify(body), bearer);
        await post('/api/subscribers/unsubscribe', JSON.stringify(body), bearer);
      }),
      { numRuns: RUNS / 2 },
    );
  });

  test('afterwards the process is alive and still serves', async () => {
    expect((await fetch(`${k.baseUrl}/readyz`)).status).toBe(200);
    const res = await fetch(`${k.baseUrl}/api/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'masih@contoh.co.id' }) });
    expect(res.status).toBe(202);
  });
});
