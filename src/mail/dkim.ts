import DKIM from 'nodemailer/lib/dkim';
import type { DkimConfig } from '../config';

/** Signs one finished RFC 5322 message; returns it with a DKIM-Signature header in front. */
export type DkimSign = (raw: string) => Promise<string>;

// Everything a receiver shows or acts on. List-Unsubscribe-Post must be signed for Gmail and Yahoo
// to offer one-click unsubscribe (RFC 8058 section 4).
export const DKIM_SIGNED_HEADERS = [
  'From',
  'Reply-To',
  'Subject',
  'Date',
  'Message-ID',
  'To',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'List-Id',
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
].join(':');

/**
 * DKIM signing (relaxed/relaxed, rsa-sha256) with nodemailer's signer. The body differs per
 * recipient (their own unsubscribe token), so each personalised message is signed on its own: one
 * body hash and one RSA signature, no MIME rebuilt.
 */
export function createDkimSigner(config: DkimConfig): DkimSign {
  const dkim = new DKIM({
    domainName: config.domain,
    keySelector: config.selector,
    privateKey: config.privateKey,
    headerFieldNames: DKIM_SIGNED_HEADERS,
  });
  return (raw) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const out = dkim.sign(raw);
      out.on('data', (c: Buffer) => chunks.push(c));
      out.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      out.once('error', reject);
    });
}
