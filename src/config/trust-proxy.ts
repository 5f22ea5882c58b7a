import ipaddr from 'ipaddr.js';

/** One TRUST_PROXY list entry: an address, a CIDR, or one of express's named ranges. */
export function isProxyEntry(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  if (ipaddr.isValid(entry)) return true;
  try {
    ipaddr.parseCIDR(entry);
    return true;
  } catch {
    return false;
  }
}

/** TRUST_PROXY as express's `trust proxy` takes it; `true` is one hop (every hop would believe a client's own header). */
export function parseTrustProxy(value: string): false | number | string {
  if (value === 'false' || value === 'no') return false;
  if (value === 'true' || value === 'yes') return 1;
  if (/^\d+$/.test(value)) return Number(value) === 0 ? false : Number(value);
  return value.split(',').map((e) => e.trim()).join(', ');
}
