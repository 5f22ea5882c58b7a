import { runCliProcess } from './main';

/** `npm run subscriber -- export|delete EMAIL`: kept for operators' scripts; it is `kilat subscribers export|delete EMAIL`. */
runCliProcess(['subscribers', ...process.argv.slice(2)]);
