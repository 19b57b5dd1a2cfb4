/**
 * A socket error in a few words, for people: the client's status line and the server's log say
 * "connection reset by the server" where Node says "read ECONNRESET". Codes not listed keep
 * Node's message, which names the code.
 */
export function socketErrorWords(e: NodeJS.ErrnoException, peer: 'server' | 'client'): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return `connection reset by the ${peer}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'EPIPE':
      return `connection closed by the ${peer}`;
    default:
      return e.message;
  }
}
