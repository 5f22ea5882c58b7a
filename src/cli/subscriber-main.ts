import { bootstrap } from '../dev/bootstrap';
import { runSubscriberCommand } from './subscriber';

/** `npm run subscriber -- export|delete EMAIL` */
async function main(): Promise<void> {
  const boot = await bootstrap('cli');
  try {
    process.exitCode = await runSubscriberCommand(process.argv.slice(2), boot.config, {
      out: (t) => process.stdout.write(`${t}\n`),
      err: (t) => process.stderr.write(`${t}\n`),
    });
  } finally {
    await boot.stop();
  }
}

main().catch((err) => {
  console.error(`kilat: ${(err as Error).message}`);
  process.exit(1);
});
