/**
 * The sending side of a worker: its share of the run's senders, each writing `say` frames that
 * carry their send time.
 *
 * - rate 0 ("as fast as possible") is a closed loop: each sender keeps `window` lines in flight
 *   and sends the next one when one of its own comes back. That measures the most the server
 *   sustains without letting queues grow until the server drops readers as too slow.
 * - rate R spreads R lines per second over all senders on a fixed schedule (sender s of S is
 *   offset by s/S of a period, so the load is even). Lateness against the schedule is recorded,
 *   so a load generator that cannot keep up shows in the report.
 */
import { nowNs, seqText, type LoadClient, type Tally } from './client.js';

interface Sender {
  id: number;
  client: LoadClient;
  sent: number;
}

interface SendPlan {
  /** Lines per sender; Infinity sends until stop(). */
  messages: number;
  /** Lines per second over all senders; 0 for the closed loop. */
  rate: number;
  /** Senders in the whole run (not only this worker's). */
  senders: number;
  window: number;
  /** hrtime (ns) at which every worker starts, so they start together. */
  startNs: number;
}

const TICK_MS = 1;

export class Senders {
  firstSendNs = 0;
  /** Worst lateness against the paced schedule, in ms. */
  lagMaxMs = 0;
  private readonly list: Sender[];
  private timer: NodeJS.Timeout | null = null;
  private finish: ((sent: number) => void) | null = null;
  private stopped = false;

  /** `tally` is the clients' shared one: the closed loop tops up on its echoes. */
  constructor(
    clients: LoadClient[],
    private readonly tally: Tally,
  ) {
    this.list = clients.filter((c) => c.spec.sender !== undefined).map((c) => ({ id: c.spec.sender!, client: c, sent: 0 }));
  }

  /** Sends per the plan; resolves with the lines this worker sent once all its senders are done. */
  run(plan: SendPlan): Promise<number> {
    this.stopped = false;
    return new Promise((resolve) => {
      this.finish = resolve;
      const begin = () => {
        if (this.stopped) return;
        if (plan.rate > 0) this.paced(plan);
        else this.closedLoop(plan);
      };
      setTimeout(begin, Math.max(0, (plan.startNs - nowNs()) / 1e6));
    });
  }

  /** Lines this worker's senders have sent so far. */
  get sent(): number {
    return this.list.reduce((n, s) => n + s.sent, 0);
  }

  /** Of those, the lines that do not come back to their own sender (its protocol does not echo). */
  get unechoed(): number {
    return this.list.reduce((n, s) => n + (s.client.echoes ? 0 : s.sent), 0);
  }

  /** Ends an open-ended run (the storm scenario stops chatting when the logins are done). */
  stop(): void {
    this.stopped = true;
    this.check(0);
  }

  private send(s: Sender): void {
    const now = nowNs();
    if (this.firstSendNs === 0) this.firstSendNs = now;
    s.client.say(seqText(s.id, s.sent++, now));
  }

  private closedLoop(plan: SendPlan): void {
    const byId = new Map(this.list.map((s) => [s.id, s]));
    const topUp = (s: Sender) => {
      if (!this.stopped && s.sent < plan.messages) this.send(s);
    };
    this.tally.onEcho = (id) => {
      const s = byId.get(id);
      if (s) topUp(s);
    };
    for (const s of this.list) for (let i = 0; i < plan.window && i < plan.messages; i++) this.send(s);
    this.timer = setInterval(() => this.check(plan.messages), 50);
  }

  private paced(plan: SendPlan): void {
    const periodNs = (plan.senders / plan.rate) * 1e9;
    const due = (s: Sender) => plan.startNs + ((s.id / plan.senders) + s.sent) * periodNs;
    this.timer = setInterval(() => {
      const now = nowNs();
      for (const s of this.list) {
        while (!this.stopped && s.sent < plan.messages && due(s) <= now && s.client.open) {
          this.lagMaxMs = Math.max(this.lagMaxMs, (now - due(s)) / 1e6);
          this.send(s);
        }
      }
      this.check(plan.messages);
    }, TICK_MS);
  }

  /** Done when every sender has sent its share, lost its connection, or was stopped. */
  private check(messages: number): void {
    if (!this.finish) return;
    if (!this.stopped && !this.list.every((s) => s.sent >= messages || !s.client.open)) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const done = this.finish;
    this.finish = null;
    done(this.sent);
  }
}
