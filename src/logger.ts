import pino from 'pino';

export type Logger = pino.Logger;

/** One JSON log shape for every process; `base` names the process role. The CLI logs to stderr. */
export function createLogger(level: string, role: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { role, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['email', '*.email', 'token', '*.token', 'authorization', '*.authorization'], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** "budi.santoso@example.co.id" -> "b***o@e***.co.id": enough to tell addresses apart in logs, not to read them. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1) return '***';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  const dot = domain.indexOf('.');
  const maskedLocal = local.length <= 2 ? `${local[0]}*` : `${local[0]}***${local[local.length - 1]}`;
  const maskedDomain = dot > 0 ? `${domain[0]}***${domain.slice(dot)}` : `${domain[0] ?? ''}***`;
  return `${maskedLocal}@${maskedDomain}`;
}

// Anything shaped like local@domain inside free text (an SMTP reply, an error message). Bounded
// parts keep it linear on hostile text; `<>` and quotes around an address stay where they are. `*`
// counts as a domain character so that masking a masked text changes nothing.
const ADDRESS_IN_TEXT = /[^\s<>()[\]"',;:@]{1,64}@[A-Za-z0-9*\u00a0-\uffff](?:[A-Za-z0-9*\u00a0-\uffff.-]{0,252}[A-Za-z0-9*\u00a0-\uffff])?/g;

/** Masks every address in a text such as an SMTP reply ("550 5.1.1 <b***i@c***.co.id>: unknown"). */
export function maskAddressesIn(text: string): string {
  return text.includes('@') ? text.replace(ADDRESS_IN_TEXT, (a) => maskEmail(a)) : text;
}
