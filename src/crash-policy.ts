import type { Logger } from './logger';

/**
 * What a process does with an error nobody handled. Every promise is awaited or handled (the lint
 * in `npm test` checks it), so an unhandled rejection is a bug on one request or job path, not a
 * broken process: it is logged with its stack (error level, so alerting sees it) and the process
 * keeps serving, instead of every other request and batch in it dying with it. An uncaught
 * exception is different: it unwound a stack half-way, so state may be inconsistent; it is logged
 * and the process exits (1) for its supervisor (`npm start`, Compose, systemd) to restart it.
 */
export function installCrashPolicy(logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): void {
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason instanceof Error ? reason : new Error(String(reason)) }, 'unhandled promise rejection (a bug: a promise nobody awaited); the process carries on');
  });
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception; exiting so the supervisor restarts the process');
    logger.flush?.();
    exit(1);
  });
}
