import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/run-cli';

/** Runs the CLI in-process as a person would type it; returns what they would see. */
export async function kilatCli(env: Record<string, string>, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await runCli(argv, { env, stdout, stderr, isTTY: false, pollMs: 50 });
  return { code, stdout: out, stderr: err };
}
