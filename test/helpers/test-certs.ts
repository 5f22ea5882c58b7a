import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCa {
  dir: string;
  /** The CA certificate (what SMTP_TLS_CA points at). */
  caFile: string;
  /** A server certificate signed by the CA for these subjectAltNames (`IP:127.0.0.1`, `DNS:localhost`). */
  leaf(name: string, sans: string[]): { key: string; cert: string; keyFile: string; certFile: string };
  /** A self-signed certificate no CA vouches for. */
  selfSigned(name: string, sans: string[]): { key: string; cert: string };
  remove(): void;
}

const openssl = (args: string[], cwd: string) => {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(`openssl ${args[0]} failed (is openssl installed? .ci/run installs it): ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
  }
};

/** A throwaway private CA made with openssl, for relays that must present real, checkable certificates. */
export function createTestCa(): TestCa {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilat-ca-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Kilat test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    leaf(name, sans) {
      fs.writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${sans.join(',')}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
      openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
      openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`], dir);
      return { key: read(`${name}.key`), cert: read(`${name}.pem`), keyFile: path.join(dir, `${name}.key`), certFile: path.join(dir, `${name}.pem`) };
    },
    selfSigned(name, sans) {
      openssl(['req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=${sans.join(',')}`], dir);
      return { key: read(`${name}.key`), cert: read(`${name}.pem`) };
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
