import { isIPv6 } from 'node:net';

/** `host:port`, an IPv6 address in brackets (`[::1]:5555`): its own colons would run into the port's. */
export function hostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
