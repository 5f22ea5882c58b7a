import { bootstrap } from '../src/dev/bootstrap';
import { onShutdown } from '../src/shutdown';
import { startWorkers } from './start-workers';

/** `npm run worker`: one worker process. */
async function main(): Promise<void> {
  const boot = await bootstrap('worker');
  const workers = await startWorkers(boot.config, boot.logger);
  onShutdown(boot.logger, async () => {
    await workers.close();
    await boot.stop();
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
