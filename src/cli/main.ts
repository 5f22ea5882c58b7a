import { processEnv } from '../config';
import { runCli } from './run-cli';

/** `npx kilat …` (bin/kilat.js loads this from dist/). */
runCli(process.argv.slice(2), { env: processEnv(), stdout: process.stdout, stderr: process.stderr, isTTY: Boolean(process.stderr.isTTY) }).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
