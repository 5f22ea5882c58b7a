// Loaded with `node --require` into a Kilat process (and, through its execArgv, into the worker
// processes `npm start` forks): SIGUSR2 makes that process throw an exception nobody catches, the
// way a bug would, so the crash policy and the restart loop around it run for real.
process.on('SIGUSR2', () => {
  setImmediate(() => {
    throw new Error('injected crash (SIGUSR2)');
  });
});
