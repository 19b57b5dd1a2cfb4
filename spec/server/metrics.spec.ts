/**
 * The operator's endpoint in-process (server/metrics.ts, ops-http.ts, health.ts): /metrics parses
 * as Prometheus text and its counters move with real traffic over TCP and UDP; /healthz;
 * /readyz turns 503, with the reason, when the users file cannot be written or the server stops.
 */
import { expect } from 'chai';
import { chmodSync, renameSync } from 'node:fs';
import { encodeFrame } from '../../common/codec.js';
import { encodeHeartbeat } from '../../common/heartbeat.js';
import { fileWritable, listening, readiness } from '../../server/health.js';
import { createMetrics, type Metrics } from '../../server/metrics.js';
import { SCRAPE_REUSE_MS, startOps, type OpsServer } from '../../server/ops-http.js';
import { FakeClock } from '../support/fake-clock.js';
import { startServer, TestClient, type Running } from '../support/harness.js';

/** One sample: `name{labels} value`. */
type Samples = Map<string, number>;

/**
 * A strict reader of the Prometheus text format (version 0.0.4): every family has HELP and TYPE
 * before its samples, every sample line is well formed. Throws on anything else.
 */
export function parsePrometheus(text: string): { samples: Samples; types: Map<string, string> } {
  const samples: Samples = new Map();
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const labels = `\\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\.)*",?)*\\}`;
  // As Prometheus reads numbers (Go's ParseFloat): NaN and Inf in any case (prom-client writes "Nan").
  const value = '(?:[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?|[nN][aA][nN]|[-+]?[iI][nN][fF])';
  const sample = new RegExp(`^(${name})(${labels})? (${value})(?: -?\\d+)?$`);
  expect(text.endsWith('\n'), 'ends with a newline').to.equal(true);
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    let m = /^# HELP (\S+) .*$/.exec(line);
    if (m) {
      helped.add(m[1]!);
      continue;
    }
    m = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) {
      types.set(m[1]!, m[2]!);
      continue;
    }
    m = sample.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const family = [...types.keys()].find((t) => m![1] === t || new RegExp(`^${t}_(bucket|sum|count|total)$`).test(m![1]!));
    if (!family || !helped.has(family)) throw new Error(`sample before its HELP and TYPE: ${line}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return { samples, types };
}

describe('metrics and health endpoint', () => {
  let srv: Running;
  let metrics: Metrics;
  let ops: OpsServer;
  /**
   * The endpoint's clock, a second on for each request: a scrape within a second of the last is
   * that one again, and requests are spaced (ops-http.ts).
   */
  let clock: FakeClock;
  const get = async (path: string, method = 'GET') => {
    clock.advance(SCRAPE_REUSE_MS);
    const res = await fetch(`http://127.0.0.1:${ops.port}${path}`, { method });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  const scrape = async () => {
    const res = await get('/metrics');
    expect(res.status).to.equal(200);
    expect(res.type).to.match(/^text\/plain; version=0\.0\.4/);
    return parsePrometheus(res.text).samples;
  };

  beforeEach(async () => {
    srv = await startServer({ rateCount: 100 });
    metrics = createMetrics(srv.server);
    const checks = [listening(() => srv.server.serving), fileWritable('users file', srv.db)];
    clock = new FakeClock();
    ops = await startOps('127.0.0.1', 0, { metrics: () => metrics.scrape(), ready: () => readiness(checks) }, { clock });
  });
  afterEach(async () => {
    metrics.close();
    await ops.close();
    await srv.stop();
  });

  it('serves every metric the issue names, with the tinychat_ prefix, and the default process metrics', async () => {
    const text = (await get('/metrics')).text;
    const { types } = parsePrometheus(text);
    const expected: Record<string, string> = {
      tinychat_connections: 'gauge',
      tinychat_users_online: 'gauge',
      tinychat_messages_total: 'counter',
      tinychat_deliveries_total: 'counter',
      tinychat_errors_total: 'counter',
      tinychat_logins_total: 'counter',
      tinychat_heartbeats_total: 'counter',
      tinychat_private_requests_total: 'counter',
      tinychat_mutes_total: 'counter',
      tinychat_file_transfers_total: 'counter',
      tinychat_file_bytes_relayed_total: 'counter',
      tinychat_file_relay_bytes_total: 'counter',
      tinychat_hash_queue_depth: 'gauge',
      tinychat_slow_readers_dropped_total: 'counter',
      tinychat_line_write_seconds: 'histogram',
      process_cpu_seconds_total: 'counter',
      process_resident_memory_bytes: 'gauge',
      nodejs_eventloop_lag_seconds: 'gauge',
    };
    for (const [name, type] of Object.entries(expected)) expect(types.get(name), name).to.equal(type);
  });

  it('moves with real traffic: logins, a group line, a private-chat request, heartbeats accepted and dropped', async () => {
    const before = await scrape();
    const alice = await srv.login('alice');
    const bob = await srv.login('bob');
    const wrong = await TestClient.connect(srv.port);
    expect(await wrong.request({ type: 'login', user: 'alice', password: 'nope' }, (m) => m.type === 'error')).to.deep.include({ code: 'BAD_PASSWORD' });
    wrong.close();
    alice.send({ type: 'say', text: 'hello' });
    await bob.line();
    await alice.line();
    alice.send({ type: 'dm', to: 'bob', text: 'psst' });
    await bob.line();
    alice.send({ type: 'pm_request', to: 'bob' });
    await bob.notice('pm_invite');
    bob.send({ type: 'pm_answer', accept: false });
    await alice.notice('pm_refused');
    const hb = await srv.beater(alice.me);
    await hb.beat();
    await hb.send(Buffer.from('not a heartbeat'));
    await hb.send(encodeHeartbeat(alice.me.session!, 99n, Buffer.alloc(32)));
    const after = await scrape();
    const moved = (key: string) => after.get(key)! - (before.get(key) ?? 0);

    expect(after.get('tinychat_users_online')).to.equal(2);
    expect(after.get('tinychat_connections{transport="tcp"}')).to.equal(2);
    expect(moved('tinychat_logins_total{result="created"}')).to.equal(2);
    expect(moved('tinychat_logins_total{result="wrong_password"}')).to.equal(1);
    expect(moved('tinychat_messages_total{kind="group"}')).to.equal(1);
    expect(moved('tinychat_messages_total{kind="dm"}')).to.equal(1);
    expect(moved('tinychat_private_requests_total{outcome="requested"}')).to.equal(1);
    expect(moved('tinychat_private_requests_total{outcome="refused"}')).to.equal(1);
    expect(moved('tinychat_heartbeats_total{result="accepted"}')).to.equal(1);
    expect(moved('tinychat_heartbeats_total{result="malformed"}')).to.equal(1);
    expect(moved('tinychat_heartbeats_total{result="forged"}')).to.equal(1);
    // The group line to both and the dm to both (its echo): the notices are not chat.
    expect(moved('tinychat_deliveries_total')).to.equal(4);
    expect(moved('tinychat_errors_total{code="BAD_PASSWORD"}')).to.equal(1);
    // One observation per line (group and dm), each under a second.
    expect(moved('tinychat_line_write_seconds_count')).to.equal(2);
    expect(after.get('tinychat_line_write_seconds_bucket{le="1"}')).to.equal(2);
    expect(after.get('tinychat_line_write_seconds_sum')).to.be.within(0, 2);
    expect(after.get('tinychat_hash_queue_depth')).to.equal(0);
  });

  it('counts refusals as errors by code, never as deliveries: a client sending junk moves no delivery', async () => {
    const alice = await srv.login('alice');
    await srv.login('bob');
    const before = await scrape();
    const moved = (after: Samples, key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
    for (let i = 0; i < 3; i++) {
      alice.raw(encodeFrame({ type: 'nonsense' }));
      alice.send({ type: 'dm', to: 'nobody', text: 'hi' });
    }
    await alice.sync();
    expect(alice.all('error').map((e) => e.code)).to.deep.equal(['UNKNOWN_TYPE', 'NO_SUCH_USER', 'UNKNOWN_TYPE', 'NO_SUCH_USER', 'UNKNOWN_TYPE', 'NO_SUCH_USER']);
    const after = await scrape();
    expect(moved(after, 'tinychat_deliveries_total')).to.equal(0);
    expect(moved(after, 'tinychat_errors_total{code="UNKNOWN_TYPE"}')).to.equal(3);
    expect(moved(after, 'tinychat_errors_total{code="NO_SUCH_USER"}')).to.equal(3);
  });

  it('counts mutes, by flood and by the operator', async () => {
    srv.server.operator.mute(srv.server.room.find((await srv.login('alice')).me.user)!, 30);
    expect((await scrape()).get('tinychat_mutes_total')).to.equal(1);
  });

  it('/healthz answers while the process lives; other paths and methods are refused', async () => {
    expect(await get('/healthz')).to.deep.include({ status: 200, text: 'ok\n' });
    expect((await get('/nothing')).status).to.equal(404);
    expect((await get('/metrics', 'POST')).status).to.equal(405);
  });

  it('/readyz: 200 while the users file can be written; 503 with the reason when it cannot, or when the server stops', async () => {
    expect(await get('/readyz')).to.deep.include({ status: 200, text: 'ready\n' });
    // The users file's folder gone (moved away): nothing can be written there, whoever we are.
    renameSync(srv.dir, `${srv.dir}.away`);
    try {
      const res = await get('/readyz');
      expect(res.status).to.equal(503);
      expect(res.text).to.equal(`not ready: users file: cannot write in ${srv.dir}: no such file\n`);
    } finally {
      renameSync(`${srv.dir}.away`, srv.dir);
    }
    expect((await get('/readyz')).status).to.equal(200);
    // Read-only: permission bits stop writes for anyone but root (the binary's spec covers root).
    if (process.getuid?.() !== 0) {
      chmodSync(srv.dir, 0o500);
      try {
        expect(await get('/readyz')).to.deep.include({ status: 503, text: `not ready: users file: cannot write in ${srv.dir}: permission denied\n` });
      } finally {
        chmodSync(srv.dir, 0o700);
      }
    }
    await srv.server.stop();
    expect(await get('/readyz')).to.deep.include({ status: 503, text: 'not ready: listening: not accepting connections (starting or stopping)\n' });
  });
});
