import autocannon from 'autocannon';

export interface SignupLoad {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  connections: number;
  seconds: number;
}

/**
 * `POST /api/subscriptions` under autocannon for a bounded time, every request a new address (so
 * each one is a real sign-up: a record, an index entry and a confirmation job).
 */
export async function signupLoad(opts: { baseUrl: string; label: string; seconds: number; connections: number }): Promise<SignupLoad> {
  let n = 0;
  const result = await autocannon({
    url: opts.baseUrl,
    connections: opts.connections,
    duration: opts.seconds,
    requests: [
      {
        method: 'POST',
        path: '/api/subscriptions',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: `load.${opts.label}.${++n}@bench-load.example`, locale: 'en' }) }),
      },
    ],
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    connections: opts.connections,
    seconds: opts.seconds,
  };
}
