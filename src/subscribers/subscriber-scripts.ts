import path from 'node:path';
import { loadCommands } from '../redis-scripts';

/** The subscriber Lua scripts (`commands/*.lua`), read once per process. */
export const SUBSCRIBER_SCRIPTS = loadCommands(path.join(__dirname, 'commands'));
