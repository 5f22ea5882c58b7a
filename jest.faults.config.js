/** @type {import('jest').Config} */
// `npm run test:faults`: fault injection with real processes (built worker, redis-server, SMTP
// server) and the load run. Slower than `npm test`, so a separate command; CI runs both.
const base = require('./jest.config.js');
module.exports = {
  ...base,
  testMatch: ['**/test/faults/**/*.fault.ts'],
  testTimeout: 240_000,
  // The suites kill and restart processes and measure recovery times: one at a time.
  maxWorkers: 1,
  // These suites kill processes on purpose; a handle a crash leaves behind must not keep CI waiting
  // after every test has finished (each suite still stops what it started).
  forceExit: true,
};
