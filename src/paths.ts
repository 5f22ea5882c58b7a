import fs from 'node:fs';
import path from 'node:path';

/** The project root, found from this file whether it runs from src/ (tests) or dist/src/ (npm start). */
function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'templates'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the project root above ${start}`);
    dir = parent;
  }
}

export const projectRoot = findRoot(__dirname);
export const templatesDir = path.join(projectRoot, 'templates');
