/**
 * The operator's HTTP endpoint (--metrics-port): `GET /metrics` in the Prometheus text format,
 * `GET /healthz` (the process answers: it is alive) and `GET /readyz` (it can serve users: 200, or
 * 503 with the reasons). Nothing else; it never touches the chat. Bind it to 127.0.0.1 (the
 * default) or a private network: the metrics name no users, but they are nobody else's business.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readiness } from './health.js';

export interface OpsHandlers {
  /** The metrics, and their content type. */
  metrics(): Promise<{ contentType: string; text: string }>;
  ready(): Promise<Readiness>;
}

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on host:port (0: a free port); rejects with the socket's error (`listener: 'metrics'`) if it cannot. */
export function startOps(host: string, port: number, handlers: OpsHandlers): Promise<OpsServer> {
  const server = http.createServer((req, res) => void answer(req, res, handlers));
  // Scrapes and probes are small and quick: a client that dawdles is not served.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    // The socket's own error, marked as this listener's: main's explain() words it, as it does the
    // chat listener's, with this one's options (--metrics-host, --metrics-port).
    server.once('error', (e: NodeJS.ErrnoException) => reject(Object.assign(e, { listener: 'metrics' })));
    server.listen({ host, port }, () => {
      server.removeAllListeners('error');
      server.on('error', () => {});
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

async function answer(req: http.IncomingMessage, res: http.ServerResponse, handlers: OpsHandlers): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const send = (status: number, text: string, type = 'text/plain; charset=utf-8', headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
  if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz') return send(404, 'not found: try /metrics, /healthz or /readyz\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'use GET\n', undefined, { allow: 'GET, HEAD' });
  try {
    if (path === '/healthz') return send(200, 'ok\n');
    if (path === '/readyz') {
      const { ready, problems } = await handlers.ready();
      return ready ? send(200, 'ready\n') : send(503, `not ready: ${problems.join('; ')}\n`);
    }
    const { contentType, text } = await handlers.metrics();
    send(200, text, contentType);
  } catch (e) {
    send(500, `error: ${(e as Error).message}\n`);
  }
}
