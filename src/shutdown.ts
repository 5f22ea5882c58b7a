import type { Logger } from './logger';

const FORCE_QUIT_MS = 15_000;

/**
 * On SIGTERM/SIGINT runs `close` once (in-flight work finishes, connections close) and exits;
 * a backstop timer forces the exit if closing hangs.
 */
export function onShutdown(logger: Logger, close: () => Promise<void>): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long; forcing exit');
      process.exit(1);
    }, FORCE_QUIT_MS).unref();
    close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
