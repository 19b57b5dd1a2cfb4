/**
 * A ChatSession as most client specs run it: alice with "pw" (unless `config` says otherwise) on
 * `port`, on a fake clock, its backoff's jitter fixed (random() = 0.5), and its heartbeats going
 * nowhere: the server hears none, which these specs are not about (and a spec of being marked
 * offline for it, see session.spec, relies on).
 */
import type { ClientConfig } from '../../client/config.js';
import { makeClientConfig } from '../../client/config.js';
import { HeartbeatSender } from '../../client/heartbeat.js';
import { ChatSession, type SessionDeps } from '../../client/session.js';
import type { Ui } from '../../client/ui.js';
import { FakeClock } from '../support/fake-clock.js';

export function quietSession(
  port: number,
  ui: Ui,
  clock = new FakeClock(Date.now()),
  config: Partial<ClientConfig> = {},
  deps: SessionDeps = {},
): { session: ChatSession; clock: FakeClock; exit: Promise<number> } {
  const heartbeat = new HeartbeatSender(clock, () => ({ send: () => {}, close: () => {} }));
  const session = new ChatSession(makeClientConfig({ port, user: 'alice', password: 'pw', ...config }), ui, { clock, random: () => 0.5, heartbeat, ...deps });
  return { session, clock, exit: session.run() };
}
