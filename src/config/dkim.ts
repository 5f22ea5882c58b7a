import { createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../paths';
import { invalid } from './config-error';

export interface DkimConfig {
  domain: string;
  selector: string;
  /** PEM text (read from the file when DKIM_PRIVATE_KEY named a path). */
  privateKey: string;
}

/**
 * DKIM is all three settings or none. The key may be PEM text (with real or `\n`-escaped newlines,
 * as env files often carry it) or a path to a PEM file; either way it must load as a private key of
 * at least 2048 bits (RSA), so a bad key stops the process at start, not at the first alert.
 */
export function parseDkim(domain: string | undefined, selector: string | undefined, key: string | undefined): DkimConfig | undefined {
  if (domain === undefined && selector === undefined && key === undefined) return undefined;
  if (domain === undefined || selector === undefined || key === undefined) {
    const missing = [['DKIM_DOMAIN', domain], ['DKIM_SELECTOR', selector], ['DKIM_PRIVATE_KEY', key]].filter(([, v]) => v === undefined).map(([n]) => n);
    throw invalid(`${missing.join(', ')}: DKIM needs DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY together`);
  }
  let pem = key.includes('-----BEGIN') ? key.replace(/\\n/g, '\n') : undefined;
  if (pem === undefined) {
    try {
      pem = fs.readFileSync(path.resolve(projectRoot, key), 'utf8');
    } catch (err) {
      throw invalid(`DKIM_PRIVATE_KEY: neither PEM text nor a readable file (${(err as Error).message})`);
    }
  }
  try {
    const k = createPrivateKey(pem);
    const bits = k.asymmetricKeyDetails?.modulusLength;
    if (k.asymmetricKeyType !== 'rsa' || bits === undefined || bits < 2048) {
      throw new Error(`an RSA key of at least 2048 bits is required (got ${k.asymmetricKeyType ?? 'unknown'}${bits ? ` ${bits}-bit` : ''})`);
    }
  } catch (err) {
    throw invalid(`DKIM_PRIVATE_KEY: ${(err as Error).message}`);
  }
  return { domain: domain.toLowerCase(), selector, privateKey: pem };
}
