import type { IncomingMessage } from 'node:http';
import ipaddr from 'ipaddr.js';

/**
 * A request from this machine itself, for surfaces no one else may see (the dev outbox, /metrics
 * without METRICS_TOKEN): the socket's peer is a loopback address (never `req.ip`, which a proxy
 * header can set), no proxy forwarded it (a reverse proxy on the same host would make every
 * outside request look local), and the Host header names this machine, so a page elsewhere that
 * points a DNS name at 127.0.0.1 (DNS rebinding) cannot read the answer through a browser.
 */
export function isLoopbackRequest(req: IncomingMessage): boolean {
  const peer = req.socket.remoteAddress ?? '';
  if (!ipaddr.isValid(peer) || ipaddr.process(peer).range() !== 'loopback') return false;
  if (req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined || req.headers['x-real-ip'] !== undefined) return false;
  const host = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || (ipaddr.isValid(host) && ipaddr.process(host).range() === 'loopback');
}
