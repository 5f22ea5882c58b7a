import { bearer, postJson, startKilat, waitUntil, type Kilat } from '../helpers/kilat';

async function confirmedSubscriber(k: Kilat, email: string, topics: string[] = []) {
  const { id } = await k.api.core.subscribers.signup({ email, locale: 'id', topics });
  const sub = await k.api.core.subscribers.get(id);
  expect(await k.api.core.subscribers.confirm(id, sub!.nonce)).toBe('confirmed');
  return id;
}

async function status(k: Kilat, id: string) {
  return (await (await fetch(`${k.baseUrl}/api/alerts/${id}`, { headers: bearer })).json()) as any;
}

describe('fan-out and batch sending', () => {
  let k: Kilat;
  beforeEach(async () => {
    k = await startKilat({ env: { BATCH_SIZE: '3', SEND_CONCURRENCY: '2' } });
  });
  afterEach(async () => {
    await k.stop();
  });

  test('recipients spread over many small batches each get the alert exactly once; topics filter who counts', async () => {
    const emails = Array.from({ length: 20 }, (_, i) => `pembaca${i}@contoh.co.id`);
    for (const [i, e] of emails.entries()) await confirmedSubscriber(k, e, i % 4 === 0 ? ['olahraga'] : []);
    const res = await postJson(`${k.baseUrl}/api/articles`, { title: 'Banjir', body: 'Isi berita.', topics: ['dunia'] }, bearer);
    expect(res.status).toBe(202);
    await waitUntil(async () => (await status(k, res.body.alertId)).state === 'completed', 15_000, 'completion');
    // olahraga-only readers (every 4th) are not interested in a dunia article
    const expected = emails.filter((_, i) => i % 4 !== 0).sort();
    expect(k.smtp.messages.flatMap((m) => m.to).sort()).toEqual(expected);
    expect(await status(k, res.body.alertId)).toMatchObject({ state: 'completed', total: 15, sent: 15, failed: 0 });
  });

  test('a 550 for one address suppresses it without retry while the rest are delivered', async () => {
    for (const e of ['a@contoh.co.id', 'gone@contoh.co.id', 'c@contoh.co.id']) await confirmedSubscriber(k, e);
    k.smtp.rejectRecipient = (addr) => (addr === 'gone@contoh.co.id' ? 550 : undefined);
    const res = await postJson(`${k.baseUrl}/api/articles`, { title: 'Satu', body: 'Isi.' }, bearer);
    await waitUntil(async () => (await status(k, res.body.alertId)).state === 'completed', 15_000, 'completion');
    expect(await status(k, res.body.alertId)).toMatchObject({ total: 3, sent: 2, failed: 1 });
    expect((await k.api.core.subscribers.findByEmail('gone@contoh.co.id'))!.status).toBe('bounced');
    // the suppressed address is not mailed again
    k.smtp.rejectRecipient = () => undefined;
    const second = await postJson(`${k.baseUrl}/api/articles`, { title: 'Dua', body: 'Isi.' }, bearer);
    await waitUntil(async () => (await status(k, second.body.alertId)).state === 'completed', 15_000, 'completion');
    expect(k.smtp.to('gone@contoh.co.id')).toHaveLength(0);
    expect(await status(k, second.body.alertId)).toMatchObject({ total: 2, sent: 2 });
  });

  test('a 451 makes the batch retry with backoff; the retry skips who already got it', async () => {
    for (const e of ['a@contoh.co.id', 'busy@contoh.co.id', 'c@contoh.co.id']) await confirmedSubscriber(k, e);
    let refusals = 0;
    k.smtp.rejectRecipient = (addr) => (addr === 'busy@contoh.co.id' && refusals++ < 1 ? 451 : undefined);
    const res = await postJson(`${k.baseUrl}/api/articles`, { title: 'Tiga', body: 'Isi.' }, bearer);
    await waitUntil(async () => (await status(k, res.body.alertId)).state === 'completed', 20_000, 'completion');
    expect(refusals).toBeGreaterThanOrEqual(2);
    expect(k.smtp.messages.flatMap((m) => m.to).sort()).toEqual(['a@contoh.co.id', 'busy@contoh.co.id', 'c@contoh.co.id']);
    expect(await status(k, res.body.alertId)).toMatchObject({ total: 3, sent: 3, failed: 0 });
  });

  test('the job payloads carry ids only, never an address or rendered HTML', async () => {
    await confirmedSubscriber(k, 'rahasia@contoh.co.id');
    const res = await postJson(`${k.baseUrl}/api/articles`, { title: 'Empat', body: 'Isi.' }, bearer);
    await waitUntil(async () => (await status(k, res.body.alertId)).state === 'completed', 15_000, 'completion');
    const keys = await k.redis.client.keys('kilat:{q}:*');
    let payloads = 0;
    for (const key of keys) {
      if ((await k.redis.client.type(key)) !== 'hash') continue;
      const data = await k.redis.client.hget(key, 'data');
      // The scheduled ticks (daily digest, feed polls) carry no payload at all.
      if (/:\{q\}:(digest|feed-poll):/.test(key)) {
        if (data) expect(data).toBe('{}');
        continue;
      }
      if (data) {
        payloads++;
        expect(JSON.parse(data).alertId ?? JSON.parse(data).subscriberId).toBeDefined();
        expect(data).not.toContain('rahasia');
        expect(data).not.toContain('<');
      }
    }
    expect(payloads).toBe(2); // the fan-out job and the one batch job
  });

  test('slow sends (longer than the pause/cancel poll) finish every batch at the first attempt', async () => {
    // Regression: a sender that awaited the state check while another took the last recipient
    // crashed the batch, which then retried and could leave a sent message unrecorded.
    // 40 readers over 16 shards: several batches hold 3 (BATCH_SIZE) for 2 concurrent senders.
    for (let i = 0; i < 40; i++) await confirmedSubscriber(k, `lambat${i}@contoh.co.id`);
    k.smtp.beforeAccept = () => new Promise((r) => setTimeout(r, 150));
    const res = await postJson(`${k.baseUrl}/api/articles`, { title: 'Lambat', body: 'Isi.' }, bearer);
    await waitUntil(async () => (await status(k, res.body.alertId)).state === 'completed', 20_000, 'completion');
    // The alert completes inside the last batch job; BullMQ records that job as done a moment later.
    await waitUntil(async () => {
      const c = await k.api.core.queues.send.getJobCounts('active', 'wait');
      return c.active === 0 && c.wait === 0;
    }, 10_000, 'last batch job recorded');
    const jobs = await k.api.core.queues.send.getJobs(['completed', 'failed', 'delayed', 'wait', 'active']);
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.map((j) => ({ attemptsMade: j.attemptsMade, failedReason: j.failedReason ?? null }))).toEqual(jobs.map(() => ({ attemptsMade: 1, failedReason: null })));
    expect(k.smtp.messages).toHaveLength(40);
  });
});
