import { processEnv } from '../config';
import { runCli } from './run-cli';

/** Runs the CLI as this process: `npx kilat …` (bin/kilat.js loads this from dist/), or `npm run subscriber`. */
export function runCliProcess(argv: string[]): void {
  // `kilat subscribers export | head`: a closed pipe ends the command quietly, as other CLIs do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  runCli(argv, { env: processEnv(), stdout: process.stdout, stderr: process.stderr, isTTY: Boolean(process.stderr.isTTY) }).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) runCliProcess(process.argv.slice(2));
