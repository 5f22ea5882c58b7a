import type { Logger } from './logger';

const FORCE_QUIT_MS = 15_000;

/** Starts the same shutdown from inside the process (a fault it cannot recover from); it exits with `exitCode`. */
export type ShutdownNow = (exitCode: number) => void;

/**
 * On SIGTERM/SIGINT (or the returned function) runs `close` once (in-flight work finishes,
 * connections close) and exits; a backstop timer forces the exit if closing hangs.
 */
export function onShutdown(logger: Logger, close: () => Promise<void>): ShutdownNow {
  let closing = false;
  const shutdown = (cause: NodeJS.Signals | 'fault', exitCode: number) => {
    if (closing) return;
    closing = true;
    logger.info(cause === 'fault' ? { exitCode } : { signal: cause }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long; forcing exit');
      process.exit(1);
    }, FORCE_QUIT_MS).unref();
    close().then(
      () => process.exit(exitCode),
      (err) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  const handler = (signal: NodeJS.Signals) => shutdown(signal, 0);
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return (exitCode) => shutdown('fault', exitCode);
}
