/**
 * Checkpoints: the cluster's state at one point of the log, kept in Redis, so a server that joins
 * (or a whole cluster that restarts) starts from there and applies only what came after, and the
 * log can be trimmed. One server writes them (the oldest living one, so they do not all write the
 * same thing), every CHECKPOINT_EVENTS events or CHECKPOINT_MS, whichever comes first.
 *
 * The log is trimmed only up to the checkpoint before the last one, and never within the last
 * TRIM_KEEP_MS: a server that read the previous checkpoint a moment ago still finds every event
 * after it. A joiner checks that nothing it needs was trimmed (see missing()).
 */
import type { ReplicaState } from './replica.js';
import { KEYS, type Redis } from './redis.js';
import { idAfter } from './events.js';

export const CHECKPOINT_EVENTS = 5000;
export const CHECKPOINT_MS = 60_000;
const TRIM_KEEP_MS = 10 * 60_000;

export interface Checkpoint {
  /** The last log id applied to `state`. */
  id: string;
  state: ReplicaState;
}

/** Sets KEYS[1] to ARGV[2] unless it holds a checkpoint at or after ARGV[1]. */
const SAVE = `
local old = redis.call('GET', KEYS[1])
if old then
  local id = string.match(old, '^{"id":"([0-9]+%-[0-9]+)"')
  if id then
    local om, os = string.match(id, '(%d+)%-(%d+)')
    local nm, ns = string.match(ARGV[1], '(%d+)%-(%d+)')
    om, os, nm, ns = tonumber(om), tonumber(os), tonumber(nm), tonumber(ns)
    if om > nm or (om == nm and os >= ns) then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1`;

export async function loadCheckpoint(redis: Redis): Promise<Checkpoint | null> {
  const text = await redis.get(KEYS.checkpoint);
  if (!text) return null;
  const cp = JSON.parse(text) as Checkpoint;
  if (typeof cp.id !== 'string' || !cp.state) throw new Error('the checkpoint in Redis is not one of ours');
  return cp;
}

/** Saves `cp` (unless a newer one is there) and trims the log up to `trimTo` (the previous checkpoint). */
export async function saveCheckpoint(redis: Redis, cp: Checkpoint, trimTo: string | null, now: number): Promise<void> {
  // The id goes first, where the script looks for it.
  const text = JSON.stringify({ id: cp.id, state: cp.state });
  await redis.eval(SAVE, { keys: [KEYS.checkpoint], arguments: [cp.id, text] });
  if (!trimTo) return;
  const keep = `${now - TRIM_KEEP_MS}-0`;
  const minId = idAfter(trimTo, keep) ? keep : trimTo;
  await redis.sendCommand(['XTRIM', KEYS.events, 'MINID', minId]);
}

/** Whether events after `id` were trimmed from the log (so a state at `id` cannot be brought up to date). */
export async function missing(redis: Redis, id: string): Promise<boolean> {
  let reply: unknown;
  try {
    reply = await redis.sendCommand(['XINFO', 'STREAM', KEYS.events]);
  } catch {
    return false; // no log yet
  }
  const info = Array.isArray(reply) ? Object.fromEntries(pairs(reply)) : (reply as Record<string, unknown>);
  const deleted = info['max-deleted-entry-id'];
  return typeof deleted === 'string' && idAfter(deleted, id);
}

function pairs(list: unknown[]): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (let i = 0; i + 1 < list.length; i += 2) out.push([String(list[i]), list[i + 1]]);
  return out;
}
