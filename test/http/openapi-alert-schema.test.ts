import { alertStatus, publish, waitForAlert } from '../helpers/lifecycle';
import { bearer, postJson, type Kilat } from '../helpers/kilat';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { useKilat } from '../helpers/use-kilat';

type JsonSchema = { type?: string; enum?: unknown[]; properties?: Record<string, JsonSchema>; required?: string[]; items?: JsonSchema };

/** What in `body` the documented schema does not describe: unknown fields, missing required ones, wrong types. */
function undocumented(schema: JsonSchema, body: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const props = schema.properties ?? {};
  for (const [key, value] of Object.entries(body)) {
    const p = props[key];
    if (!p) {
      problems.push(`${key}: not in the schema`);
      continue;
    }
    const type = Array.isArray(value) ? 'array' : Number.isInteger(value) && p.type === 'integer' ? 'integer' : typeof value;
    if (p.type && p.type !== type) problems.push(`${key}: ${type}, documented as ${p.type}`);
    if (p.enum && !p.enum.includes(value)) problems.push(`${key}: ${JSON.stringify(value)} is not one of ${JSON.stringify(p.enum)}`);
  }
  for (const key of schema.required ?? []) if (!(key in body)) problems.push(`${key}: required but absent`);
  return problems;
}

describe('/openapi.json describes every field the alert routes return', () => {
  const k: Kilat = useKilat({ env: { ALERT_MAX_AGE: '6h' } }, async (kilat) => {
    await seedConfirmed(kilat.api.core.subscribers, 3);
  });

  /** Holds each message at DATA until the returned function is called. */
  function holdMessages(): () => void {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    k.smtp.beforeAccept = () => gate;
    return () => {
      k.smtp.beforeAccept = undefined;
      open();
    };
  }

  async function documented(path: string, method: 'get' | 'post' | 'patch'): Promise<JsonSchema> {
    const doc = (await (await fetch(`${k.baseUrl}/openapi.json`)).json()) as any;
    const ref: string = doc.paths[path][method].responses['200'].content['application/json'].schema.$ref;
    return doc.components.schemas[ref.split('/').pop()!];
  }

  test('a completed alert, a paused one, a cancelled one and a stale one each match the GET schema', async () => {
    const schema = await documented('/api/alerts/{id}', 'get');
    const done = await publish(k, { title: 'Selesai', url: 'https://berita.example/selesai' });
    const bodies: Record<string, unknown>[] = [await waitForAlert(k, done)];
    // The relay holds every message until released: the alert cannot finish before it is paused.
    const release = holdMessages();
    const paused = await publish(k, { title: 'Ditahan' });
    await postJson(`${k.baseUrl}/api/alerts/${paused}/pause`, '', bearer);
    bodies.push(await alertStatus(k, paused));
    await postJson(`${k.baseUrl}/api/alerts/${paused}/cancel`, '', bearer);
    bodies.push(await alertStatus(k, paused));
    release();
    const stale = await publish(k, { title: 'Basi', publishedAt: new Date(Date.now() - 7 * 3600_000).toISOString() });
    bodies.push(await waitForAlert(k, stale));

    expect(bodies.map((b) => b.state)).toEqual(['completed', 'paused', 'cancelled', 'completed']);
    expect(bodies[0]).toHaveProperty('completedAt');
    expect(bodies[1]).toHaveProperty('pausedBy', 'operator');
    expect(bodies[3]).toHaveProperty('reason');
    for (const body of bodies) expect([body.state, undocumented(schema, body)]).toEqual([body.state, []]);
  });

  test('the answers of pause, resume and cancel, `changed` included, match their schema', async () => {
    const release = holdMessages();
    const id = await publish(k, { title: 'Dikendalikan' });
    for (const action of ['pause', 'resume', 'cancel'] as const) {
      const schema = await documented(`/api/alerts/{id}/${action}`, 'post');
      const res = await postJson(`${k.baseUrl}/api/alerts/${id}/${action}`, '', bearer);
      expect(res.status).toBe(200);
      expect(res.body).toHaveProperty('changed');
      expect([action, undocumented(schema, res.body)]).toEqual([action, []]);
    }
    release();
  });

  test('a scheduled alert, its edit (PATCH), its publish answer and a follow-up match their schemas', async () => {
    const at = new Date(Date.now() + 3600_000).toISOString();
    const res = await postJson(`${k.baseUrl}/api/articles`, { title: 'Terjadwal', body: 'Isi.', publishAt: at }, bearer);
    const doc = (await (await fetch(`${k.baseUrl}/openapi.json`)).json()) as any;
    const accepted = doc.components.schemas[doc.paths['/api/articles'].post.responses['202'].content['application/json'].schema.$ref.split('/').pop()];
    expect(res.body).toMatchObject({ status: 'scheduled', publishAt: at });
    expect(undocumented(accepted, res.body)).toEqual([]);
    const id = res.body.alertId as string;
    const get = await documented('/api/alerts/{id}', 'get');
    expect(undocumented(get, await alertStatus(k, id))).toEqual([]);
    const edit = await fetch(`${k.baseUrl}/api/alerts/${id}`, { method: 'PATCH', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Disunting' }) });
    const edited = (await edit.json()) as Record<string, unknown>;
    expect(edited).toMatchObject({ state: 'scheduled', title: 'Disunting', publishAt: at });
    expect(undocumented(await documented('/api/alerts/{id}', 'patch'), edited)).toEqual([]);
    await postJson(`${k.baseUrl}/api/alerts/${id}/cancel`, '', bearer);

    const original = await publish(k, { title: 'Asal' });
    await waitForAlert(k, original);
    const update = await publish(k, { title: 'Pembaruan', updates: original });
    const followUp = await waitForAlert(k, update);
    expect(followUp).toMatchObject({ updates: original, threadRoot: original });
    expect(undocumented(get, followUp)).toEqual([]);
  });
});
