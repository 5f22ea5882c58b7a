import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { DevSecrets } from '../config';

/**
 * Development only: a publisher token and a signing key generated on first start and kept under
 * var/, so links in earlier dev emails keep working across restarts.
 */
export function loadOrCreateDevSecrets(varDir: string): DevSecrets & { created: boolean } {
  const file = path.join(varDir, 'dev-secrets.json');
  try {
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as DevSecrets;
    if (stored.publisherToken && stored.secretKey) return { ...stored, created: false };
  } catch {
    // missing or unreadable: generate below
  }
  const secrets: DevSecrets = {
    publisherToken: `dev-${randomBytes(18).toString('base64url')}`,
    secretKey: randomBytes(32).toString('base64url'),
  };
  fs.mkdirSync(varDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return { ...secrets, created: true };
}
