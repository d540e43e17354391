/**
 * Whether a configured host is this machine's loopback, decided on the address itself: an IPv4
 * address in 127.0.0.0/8, ::1 (or an IPv4-mapped 127/8), or the name `localhost` (RFC 6761
 * reserves it for loopback). Any other name counts as remote: `127.evil.example` is a name, not
 * an address, and resolves wherever its owner likes (review S12).
 */
import { isIP } from 'node:net';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) !== 6) return false;
  // The URL parser writes an IPv6 address in its one canonical form (::1, ::ffff:7f00:1).
  const canonical = new URL(`http://[${h}]/`).hostname.slice(1, -1);
  return canonical === '::1' || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(canonical);
}

/** `host:port`, `[v6]:port` or `unix:/path` (a unix socket never leaves the machine). */
export function isLoopbackAddress(address: string): boolean {
  if (address.startsWith('unix:')) return true;
  const colon = address.lastIndexOf(':');
  return isLoopbackHost(colon > 0 ? address.slice(0, colon) : address);
}
