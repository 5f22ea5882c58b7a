// The load generator for load-while-sending.fault.ts, run as its own process: `amount` sign-ups to
// POST /api/subscriptions, every one a new address (load<N>@<domain>, N = 1..amount), through
// `connections` keep-alive connections; prints autocannon's result as JSON on stdout.
const autocannon = require('autocannon');
const [url, amount, connections, domain] = process.argv.slice(2);
let n = 0;
autocannon(
  {
    url,
    amount: Number(amount),
    connections: Number(connections),
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/api/subscriptions',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: `load${++n}@${domain}`, locale: 'en' }) }),
      },
    ],
  },
  (err, result) => {
    if (err) {
      console.error(err);
      process.exit(1);
    }
    process.stdout.write(JSON.stringify({ sent: n, statusCodeStats: result.statusCodeStats, non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, total: result.requests.total, rps: result.requests.average, p99: result.latency.p99, seconds: result.duration }) + '\n');
  },
);
