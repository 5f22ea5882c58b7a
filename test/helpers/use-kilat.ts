import { startKilat, type Kilat, type KilatOptions } from './kilat';

/**
 * One Kilat on real parts for a describe block: its own redis-server, a capturing SMTP server, the
 * API and (unless `workers: false`) the workers, started before the first test (then `setup`, e.g.
 * subscribers every test needs) and stopped after the last. The returned object stands for that
 * Kilat inside tests (`k.smtp`, `k.baseUrl`, and assignments such as `k.workers = …` reach it).
 */
export function useKilat(opts: KilatOptions = {}, setup?: (k: Kilat) => Promise<void>): Kilat {
  let current: Kilat | undefined;
  beforeAll(async () => {
    current = await startKilat(opts);
    if (setup) await setup(current);
  });
  afterAll(async () => {
    const k = current;
    current = undefined;
    await k?.stop();
  });
  const started = (): Kilat => {
    if (!current) throw new Error('useKilat: Kilat is used outside a test (it starts in beforeAll and stops in afterAll)');
    return current;
  };
  return new Proxy({} as Kilat, {
    get: (_target, prop) => {
      const k = started();
      const value: unknown = Reflect.get(k, prop, k);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(k) : value;
    },
    set: (_target, prop, value) => Reflect.set(started(), prop, value),
    has: (_target, prop) => Reflect.has(started(), prop),
  });
}
