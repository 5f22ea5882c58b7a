import { bearer, postJson, waitUntil } from '../helpers/kilat';
import { alertStatus, publish } from '../helpers/lifecycle';
import { fanoutJobId } from '../../src/queues';
import { waitForAlertIdle } from '../helpers/queue-waits';
import { seedConfirmed } from '../helpers/seed-subscribers';
import { useKilat } from '../helpers/use-kilat';

/**
 * Every control action on every state an alert can be in: the API's answer (status, state,
 * changed) and what the readers get afterwards. States are made the way they happen: queued is an
 * alert whose fan-out has not run yet (the fan-out queue held), sending one whose batches have not
 * run yet (the send queue held), paused by Kilat one whose relay refused the message (then the
 * relay is fixed before the action), failed one the store failed (what a template that cannot be
 * rendered does, test/alerts/render-failure.test.ts), scheduled one published with a publishAt a
 * few seconds ahead. Expected outcomes are the store's control rules (src/alerts/commands/control-4.lua).
 */
const READERS = 24;

type State = 'scheduled' | 'queued' | 'sending' | 'paused by an operator' | 'paused by Kilat' | 'completed' | 'cancelled' | 'failed';
type Action = 'pause' | 'resume' | 'cancel';
/** What readers get once the action has had its effect: everyone once (after a resume where the alert ends paused), or nobody. */
type Readers = 'everyone once' | 'nobody' | 'nobody until resumed, then everyone once';
interface Cell {
  status: 200 | 409;
  /** The state in the answer (200) or the unchanged state (409). */
  state: string;
  changed?: boolean;
  readers: Readers;
}

const ok = (state: string, changed: boolean, readers: Readers): Cell => ({ status: 200, state, changed, readers });
const conflict = (state: string, readers: Readers): Cell => ({ status: 409, state, readers });

const MATRIX: Record<State, Record<Action, Cell>> = {
  // Not paused: its time is edited instead (PATCH /api/alerts/:id); it fires at its time.
  scheduled: {
    pause: conflict('scheduled', 'everyone once'),
    resume: ok('scheduled', false, 'everyone once'),
    cancel: ok('cancelled', true, 'nobody'),
  },
  queued: {
    pause: ok('paused', true, 'nobody until resumed, then everyone once'),
    resume: ok('queued', false, 'everyone once'),
    cancel: ok('cancelled', true, 'nobody'),
  },
  sending: {
    pause: ok('paused', true, 'nobody until resumed, then everyone once'),
    resume: ok('sending', false, 'everyone once'),
    cancel: ok('cancelled', true, 'nobody'),
  },
  'paused by an operator': {
    pause: ok('paused', false, 'nobody until resumed, then everyone once'),
    resume: ok('sending', true, 'everyone once'),
    cancel: ok('cancelled', true, 'nobody'),
  },
  'paused by Kilat': {
    pause: ok('paused', false, 'nobody until resumed, then everyone once'),
    resume: ok('sending', true, 'everyone once'),
    cancel: ok('cancelled', true, 'nobody'),
  },
  completed: {
    pause: conflict('completed', 'everyone once'),
    resume: conflict('completed', 'everyone once'),
    cancel: conflict('completed', 'everyone once'),
  },
  cancelled: {
    pause: conflict('cancelled', 'nobody'),
    resume: conflict('cancelled', 'nobody'),
    cancel: ok('cancelled', false, 'nobody'),
  },
  failed: {
    pause: conflict('failed', 'nobody'),
    resume: conflict('failed', 'nobody'),
    cancel: conflict('failed', 'nobody'),
  },
};

const CELLS = (Object.keys(MATRIX) as State[]).flatMap((state) => (Object.keys(MATRIX[state]) as Action[]).map((action) => [action, state, MATRIX[state][action]] as const));

describe('pause, resume and cancel on every alert state', () => {
  let emails: string[];
  const k = useKilat({ env: { BATCH_SIZE: '10', SEND_RETRY_BASE_MS: '50' } }, async (kilat) => {
    emails = await seedConfirmed(kilat.api.core.subscribers, READERS, { domain: 'matriks.example' });
  });
  afterEach(async () => {
    // A failed cell must not leave a queue held or the relay refusing for the next one.
    k.smtp.beforeAccept = undefined;
    await Promise.all([k.api.core.queues.fanout.resume(), k.api.core.queues.send.resume()]);
  });

  const control = (id: string, action: Action) => postJson(`${k.baseUrl}/api/alerts/${id}/${action}`, '', bearer);
  const received = (title: string) => k.smtp.messages.filter((m) => m.parsed.subject === title).flatMap((m) => m.to);
  const waitForState = (id: string, state: string, what: string) =>
    waitUntil(async () => {
      const s = await alertStatus(k, id);
      return s.state === state ? s : undefined;
    }, 60_000, `${what}: alert ${id} ${state}`);
  /** Nothing of this alert is running or about to run; everything parked has seen the alert since `since`. */
  const idle = (id: string, since: number) => waitForAlertIdle(k, id, since, 60_000);
  const hold = (queue: 'fanout' | 'send') => k.api.core.queues[queue].pause();
  const release = (queue: 'fanout' | 'send') => k.api.core.queues[queue].resume();
  const jobsOf = async (queue: 'fanout' | 'send', id: string) => (await k.api.core.queues[queue].getJobs(['waiting'])).filter((j) => j?.data?.alertId === id).length;

  /** Publishes an alert and brings it into `state`; returns what lets its held work go on. */
  async function alertIn(state: State, title: string): Promise<{ id: string; release(): Promise<void> }> {
    const none = async () => undefined;
    switch (state) {
      case 'scheduled': {
        const id = await publish(k, { title, publishAt: new Date(Date.now() + 2500).toISOString() });
        expect(await alertStatus(k, id)).toMatchObject({ state: 'scheduled' });
        return { id, release: none };
      }
      case 'queued': {
        await hold('fanout');
        const id = await publish(k, { title });
        expect(await alertStatus(k, id)).toMatchObject({ state: 'queued' });
        // The held job is one idle() waits for: it cannot report idle before the fan-out has run.
        expect(await jobsOf('fanout', id)).toBe(1);
        return { id, release: () => release('fanout') };
      }
      case 'sending':
      case 'paused by an operator':
      case 'cancelled':
      case 'failed': {
        await hold('send');
        const id = await publish(k, { title });
        // The fan-out has run (every batch planned), no batch has.
        await waitUntil(async () => {
          const s = await alertStatus(k, id);
          return s.state === 'sending' && s.total === READERS;
        }, 60_000, `alert ${id} fanned out`);
        expect(await jobsOf('send', id)).toBeGreaterThan(0);
        if (state === 'sending') return { id, release: () => release('send') };
        if (state === 'paused by an operator') {
          expect((await control(id, 'pause')).body).toMatchObject({ state: 'paused', changed: true });
          return { id, release: () => release('send') };
        }
        if (state === 'cancelled') expect((await control(id, 'cancel')).body).toMatchObject({ state: 'cancelled', changed: true });
        else expect(await k.api.core.alerts.markFailed(id, 'the alert cannot be rendered: test')).toBe(true);
        const since = Date.now();
        await release('send');
        await idle(id, since);
        return { id, release: none };
      }
      case 'paused by Kilat': {
        // A relay that refuses every message after DATA (Amazon SES's "not verified" words).
        k.smtp.beforeAccept = () => Promise.reject(Object.assign(new Error('Message rejected: Email address is not verified.'), { responseCode: 554 }));
        const id = await publish(k, { title });
        const status = await waitForState(id, 'paused', 'self-pause');
        expect(status).toMatchObject({ pausedBy: 'kilat', reason: expect.stringMatching(/Email address is not verified/) });
        // Every batch has parked itself before the relay is fixed: nothing of it is still on the wire.
        await idle(id, Date.now());
        k.smtp.beforeAccept = undefined;
        return { id, release: none };
      }
      case 'completed': {
        const id = await publish(k, { title });
        await waitForState(id, 'completed', 'before the action');
        await idle(id, Date.now());
        expect(received(title).sort()).toEqual([...emails].sort());
        return { id, release: none };
      }
    }
  }

  async function expectEveryoneOnce(id: string, title: string): Promise<void> {
    await waitForState(id, 'completed', 'everyone owed');
    await idle(id, Date.now());
    const got = received(title);
    expect(got.sort()).toEqual([...emails].sort());
    expect(await alertStatus(k, id)).toMatchObject({ state: 'completed', total: READERS, sent: READERS, failed: 0 });
  }

  let n = 0;
  test.each(CELLS)('%s on a %s alert', async (action, state, cell) => {
    n += 1;
    const title = `Matriks ${n}: ${action} / ${state}`;
    const alert = await alertIn(state, title);
    const before = received(title).length;
    const since = Date.now();
    const res = await control(alert.id, action);

    expect(res.status).toBe(cell.status);
    if (cell.status === 200) expect(res.body).toMatchObject({ id: alert.id, state: cell.state, changed: cell.changed });
    else expect(res.body.error.code).toBe('alert_state_conflict');
    const after = await alertStatus(k, alert.id);
    expect(after.state).toBe(cell.state);
    if (state === 'paused by Kilat' && action === 'pause') expect(after).toMatchObject({ pausedBy: 'kilat', reason: expect.stringMatching(/not verified/) });
    if (state === 'paused by an operator' && action === 'pause') expect(after.pausedBy).toBe('operator');

    await alert.release();
    if (cell.readers === 'everyone once') {
      if (state === 'completed') await idle(alert.id, since);
      await expectEveryoneOnce(alert.id, title);
      expect(after.reason).toBeUndefined();
      return;
    }
    // Whatever could still run for this alert has run (or parked) after the action: what it sent is final.
    // A scheduled alert's fan-out was a delayed job: the cancel took it out of the queue, so none of it can run.
    if (state === 'scheduled') expect(await k.api.core.queues.fanout.getJob(fanoutJobId(alert.id))).toBeUndefined();
    await idle(alert.id, since);
    expect(received(title)).toHaveLength(before);
    expect(before).toBe(0);
    expect((await alertStatus(k, alert.id)).state).toBe(cell.state);
    if (cell.readers === 'nobody until resumed, then everyone once') {
      const resumed = await control(alert.id, 'resume');
      expect(resumed.body).toMatchObject({ id: alert.id, state: 'sending', changed: true });
      await expectEveryoneOnce(alert.id, title);
    }
  });
});
