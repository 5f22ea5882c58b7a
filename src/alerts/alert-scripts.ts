import path from 'node:path';
import { loadCommands } from '../redis-scripts';

/** The alert Lua scripts (`commands/*.lua`: record, ledger, breaker, send rate), read once per process. */
export const ALERT_SCRIPTS = loadCommands(path.join(__dirname, 'commands'));
