/**
 * The operator's HTTP endpoint (--metrics-port): `GET /metrics` in the Prometheus text format,
 * `GET /healthz` (the process answers: it is alive) and `GET /readyz` (it can serve users: 200, or
 * 503 with the reasons). Nothing else; it never touches the chat. Bind it to 127.0.0.1 (the
 * default) or a private network: the metrics name no users, but they are nobody else's business.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../common/clock.js';
import type { Readiness } from './health.js';

/**
 * Connections the endpoint holds at once; past it, new ones are closed as they come. A Prometheus
 * or two and a few probes need a handful. Every connection is a file descriptor the chat's
 * connections are counted against (see ChatServer.fitOpenFileLimit, which keeps this many free):
 * uncapped, 400 idle connections here took every descriptor under `ulimit -n 400`, and new chat
 * connections were then closed by libuv without a word.
 */
export const OPS_MAX_CONNECTIONS = 16;

/** A connection that says nothing for this long is closed (a scrape or a probe takes milliseconds). */
export const OPS_IDLE_MS = 5000;

/**
 * A /metrics answer asked for again within this time is the same text: each scrape is built on
 * the chat's event loop (2.5–4 ms at 1,000 connections), and eight clients scraping back to back
 * pushed chat round trips from 1 ms to a median of 14 ms. Prometheus scrapes every 15 s or so.
 */
export const SCRAPE_REUSE_MS = 1000;

/**
 * Requests answered a second at most; one that comes sooner waits its turn. A reused scrape still
 * costs its HTTP request (about 0.3 ms of the event loop): eight scrapers asking back to back were
 * answered 2,750 times a second, most of the loop. Each connection waits for its answer before
 * it asks again, so at most OPS_MAX_CONNECTIONS requests wait, OPS_MAX_CONNECTIONS / 50 s at most.
 */
export const OPS_ANSWERS_PER_SECOND = 50;

/**
 * Spaces what it lets through `1000 / perSecond` ms apart: `turn(go)` runs `go` at once if the
 * last turn is that long ago, else when its own turn comes.
 */
export class Pace {
  private next = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly perSecond = OPS_ANSWERS_PER_SECOND,
  ) {}

  turn(go: () => void): void {
    const now = this.clock.monotonic();
    const at = Math.max(now, this.next);
    this.next = at + 1000 / this.perSecond;
    if (at <= now) go();
    else this.clock.after(at - now, go);
  }
}

type Scrape = () => Promise<{ contentType: string; text: string }>;

/**
 * `scrape`, bounded: one in flight at a time (callers meanwhile share it), and its answer served
 * again to whoever asks within `reuseMs` of its start.
 */
export function reusedScrape(scrape: Scrape, clock: Clock = systemClock, reuseMs = SCRAPE_REUSE_MS): Scrape {
  let last: { at: number; answer: ReturnType<Scrape> } | null = null;
  return () => {
    const now = clock.monotonic();
    if (last && now - last.at < reuseMs) return last.answer;
    const answer = scrape();
    const mine = { at: now, answer };
    last = mine;
    // A failed scrape is not kept: the next request tries again.
    answer.catch(() => {
      if (last === mine) last = null;
    });
    return answer;
  };
}

export interface OpsHandlers {
  /** The metrics, and their content type. */
  metrics(): Promise<{ contentType: string; text: string }>;
  ready(): Promise<Readiness>;
}

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Listens on host:port (0: a free port); rejects with the socket's error (`listener: 'metrics'`)
 * if it cannot. Connections are capped (OPS_MAX_CONNECTIONS) and /metrics reused (reusedScrape).
 */
export interface OpsOptions {
  /** Times the scrape reuse and the pacing (specs pass a fake one). */
  clock?: Clock;
  /** How long a connection may say nothing (default OPS_IDLE_MS; specs shorten it). */
  idleMs?: number;
}

export function startOps(host: string, port: number, handlers: OpsHandlers, { clock = systemClock, idleMs = OPS_IDLE_MS }: OpsOptions = {}): Promise<OpsServer> {
  const served = { ...handlers, metrics: reusedScrape(handlers.metrics, clock) };
  // Node checks the header and request deadlines every connectionsCheckingInterval (30 s by
  // default), so a silent connection was held for 20–30 s: checked every second instead.
  const pace = new Pace(clock);
  const server = http.createServer({ connectionsCheckingInterval: 1000 }, (req, res) =>
    // A client gone while its request waited is not answered.
    pace.turn(() => void (req.socket.destroyed || answer(req, res, served))),
  );
  // Scrapes and probes are small and quick: a client that dawdles is not served.
  server.maxConnections = OPS_MAX_CONNECTIONS;
  server.requestTimeout = idleMs;
  server.headersTimeout = idleMs;
  server.keepAliveTimeout = idleMs;
  server.setTimeout(idleMs);
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
