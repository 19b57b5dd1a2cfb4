/**
 * The login throttle on a cluster: each server's LoginGate, told of every other server's news
 * (a failed login, a name revealed, an account registered, an owner's login), so a guesser who
 * spreads attempts over the servers meets the same limits as on one. The news travels in the log;
 * password checks and registrations running at once are still counted per server.
 */
import type { Clock } from '../../common/clock.js';
import { LoginGate } from '../store/login-gate.js';
import type { ClusterEvent } from './events.js';

type GateNews = Extract<ClusterEvent, { t: 'gate' }>;

export class SharedGate extends LoginGate {
  constructor(
    maxFailures: number,
    clock: Clock,
    maxRegistrations: number,
    private readonly tell: (news: GateNews) => void,
  ) {
    super(maxFailures, clock, maxRegistrations);
  }

  override fail(account: string, address: string): void {
    super.fail(account, address);
    this.tell({ t: 'gate', op: 'fail', account, address });
  }

  override succeeded(account: string, address: string): void {
    super.succeeded(account, address);
    this.tell({ t: 'gate', op: 'ok', account, address });
  }

  override revealed(address: string): void {
    super.revealed(address);
    this.tell({ t: 'gate', op: 'revealed', account: '', address });
  }

  override registered(address: string): void {
    super.registered(address);
    this.tell({ t: 'gate', op: 'registered', account: '', address });
  }

  /** Another server's news. */
  learn({ op, account, address }: GateNews): void {
    if (op === 'fail') super.fail(account, address);
    else if (op === 'ok') super.succeeded(account, address);
    else if (op === 'revealed') super.revealed(address);
    else super.registered(address);
  }
}
