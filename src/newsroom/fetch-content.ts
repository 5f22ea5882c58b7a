import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import zlib from 'node:zlib';
import ipaddr from 'ipaddr.js';

/**
 * The one way Kilat fetches anything on behalf of content (feeds, article pages, and whatever
 * comes later): a URL that an article, a feed or an editor supplied is hostile until proven
 * otherwise. Every request, first and after each redirect, resolves the name itself and connects
 * only to the address it checked, which must be public unicast (not loopback, private, link-local,
 * unique-local, carrier-grade NAT, multicast, metadata or any other special range: ipaddr.js'
 * `range()`), unless FETCH_ALLOW_HOSTS admits the host or its network. The body is decoded while
 * it streams and stops at `maxBytes` of decoded bytes; the whole exchange stops at `timeoutMs`.
 */
export interface FetchPolicy {
  /** FETCH_ALLOW_HOSTS: host names (exact, or `*.example.com`) and addresses or CIDRs allowed although not public. */
  allow: AllowList;
  timeoutMs: number;
  /** Most decoded body bytes read; past it the fetch fails. */
  maxBytes: number;
  maxRedirects?: number;
}

export interface FetchedContent {
  status: number;
  headers: Record<string, string>;
  /** The URL that answered, after redirects. */
  url: string;
  body: Buffer;
}

export type FetchErrorCode = 'bad_url' | 'refused_address' | 'too_large' | 'timeout' | 'too_many_redirects' | 'network' | 'bad_encoding';

export class FetchError extends Error {
  constructor(
    readonly code: FetchErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FetchError';
  }
}

export interface AllowList {
  host(hostname: string): boolean;
  address(address: string): boolean;
}

/** Parses FETCH_ALLOW_HOSTS entries; throws on an entry that is neither a host name nor an address or CIDR. */
export function parseAllowList(entries: readonly string[]): AllowList {
  const names: string[] = [];
  const suffixes: string[] = [];
  const nets: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const raw of entries) {
    const e = raw.trim().toLowerCase();
    if (!e) continue;
    const bare = e.replace(/^\[(.*)\]$/, '$1');
    if (ipaddr.isValid(bare)) {
      const a = ipaddr.process(bare);
      nets.push([a, a.kind() === 'ipv4' ? 32 : 128]);
    } else if (/\//.test(e)) {
      const [a, bits] = ipaddr.parseCIDR(e);
      nets.push([a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : a, a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress() ? bits - 96 : bits]);
    } else if (/^\*\.[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(e)) {
      suffixes.push(e.slice(1));
    } else if (/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(e)) {
      names.push(e);
    } else {
      throw new Error(`not a host name, address or CIDR: ${raw}`);
    }
  }
  return {
    host: (hostname) => {
      const h = hostname.toLowerCase().replace(/\.$/, '');
      return names.includes(h) || suffixes.some((s) => h.endsWith(s));
    },
    address: (address) => {
      if (!ipaddr.isValid(address)) return false;
      const a = ipaddr.process(address);
      return nets.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits));
    },
  };
}

/** Why an address may not be fetched from, or undefined when it is a public unicast address. */
export function refusedRange(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  const range = ipaddr.process(address).range();
  return range === 'unicast' ? undefined : range;
}

const DEFAULT_HEADERS = { 'user-agent': 'Kilat/1 (+breaking-news alerts)', 'accept-encoding': 'gzip, deflate, br' };

export async function fetchContent(url: string, policy: FetchPolicy, headers: Record<string, string> = {}): Promise<FetchedContent> {
  const signal = AbortSignal.timeout(policy.timeoutMs);
  let current = url;
  for (let hop = 0; ; hop++) {
    const res = await requestOnce(current, policy, headers, signal);
    const location = res.status >= 300 && res.status < 400 && res.status !== 304 ? res.headers.location : undefined;
    if (!location) return res;
    if (hop >= (policy.maxRedirects ?? 5)) throw new FetchError('too_many_redirects', `more than ${policy.maxRedirects ?? 5} redirects (last to ${location})`);
    try {
      current = new URL(location, current).toString();
    } catch {
      throw new FetchError('bad_url', `a redirect to an invalid URL: ${location.slice(0, 200)}`);
    }
  }
}

function checkAddress(hostname: string, address: string, allow: AllowList): void {
  if (allow.host(hostname) || allow.address(address)) return;
  const range = refusedRange(address);
  if (range) {
    throw new FetchError('refused_address', `refused: ${hostname} is ${address === hostname ? '' : `${address}, `}a ${range} address; Kilat fetches only public addresses unless FETCH_ALLOW_HOSTS lists the host or its network`);
  }
}

function requestOnce(url: string, policy: FetchPolicy, headers: Record<string, string>, signal: AbortSignal): Promise<FetchedContent> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.reject(new FetchError('bad_url', `not a URL: ${url.slice(0, 200)}`));
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return Promise.reject(new FetchError('bad_url', `only http and https URLs are fetched, not ${u.protocol}`));
  const hostname = u.hostname.replace(/^\[(.*)\]$/, '$1');
  // An IP literal is never looked up, so it is checked here; a name is checked in `lookup`, on the
  // very addresses the socket then connects to (no second resolution a rebinding DNS could change).
  if (ipaddr.isValid(hostname)) {
    try {
      checkAddress(hostname, hostname, policy.allow);
    } catch (err) {
      return Promise.reject(err);
    }
  }
  const lookup: LookupFunction = (name, options, callback) => {
    dns.lookup(name, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      try {
        for (const a of addresses) checkAddress(name, a.address, policy.allow);
      } catch (e) {
        return callback(e as Error, '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
  const client = u.protocol === 'https:' ? https : http;
  return new Promise<FetchedContent>((resolve, reject) => {
    const fail = (err: unknown) => reject(toFetchError(err, policy));
    const req = client.request(u, { method: 'GET', headers: { ...DEFAULT_HEADERS, ...headers }, lookup, signal, agent: false }, (res) => {
      const status = res.statusCode ?? 0;
      const responseHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) responseHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
      const done = (body: Buffer) => resolve({ status, headers: responseHeaders, url: u.toString(), body });
      if ((status >= 300 && status < 400) || status === 204) {
        res.resume();
        return done(Buffer.alloc(0));
      }
      const declared = Number(res.headers['content-length']);
      const encoding = (res.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
      if (encoding === 'identity' && Number.isFinite(declared) && declared > policy.maxBytes) {
        res.destroy();
        return reject(new FetchError('too_large', `the response is larger than ${policy.maxBytes} bytes (Content-Length ${declared})`));
      }
      let decoded: NodeJS.ReadableStream;
      if (encoding === 'identity' || encoding === '') decoded = res;
      else if (encoding === 'gzip' || encoding === 'x-gzip') decoded = res.pipe(zlib.createGunzip());
      else if (encoding === 'deflate') decoded = res.pipe(zlib.createInflate());
      else if (encoding === 'br') decoded = res.pipe(zlib.createBrotliDecompress());
      else {
        res.destroy();
        return reject(new FetchError('bad_encoding', `unsupported content-encoding ${encoding.slice(0, 40)}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      const stop = (err: FetchError) => {
        if (settled) return;
        settled = true;
        res.destroy();
        reject(err);
      };
      decoded.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > policy.maxBytes) return stop(new FetchError('too_large', `the response is larger than ${policy.maxBytes} bytes (decoded)`));
        chunks.push(chunk);
      });
      decoded.on('error', (err) => stop(toFetchError(err, policy)));
      res.on('error', (err) => stop(toFetchError(err, policy)));
      res.on('aborted', () => stop(toFetchError(signal.reason ?? new Error('aborted'), policy)));
      decoded.on('end', () => {
        if (settled) return;
        settled = true;
        done(Buffer.concat(chunks));
      });
    });
    req.on('error', fail);
    req.end();
  });
}

function toFetchError(err: unknown, policy: FetchPolicy): FetchError {
  if (err instanceof FetchError) return err;
  const e = err as Error & { code?: string; cause?: Error };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'ABORT_ERR') return new FetchError('timeout', `timed out after ${policy.timeoutMs} ms`);
  if (e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR' || e.code?.startsWith('ERR_BROTLI')) return new FetchError('bad_encoding', `the compressed response is broken: ${e.message}`);
  return new FetchError('network', `fetch failed: ${e.code ? `${e.code} ` : ''}${e.message}`);
}
