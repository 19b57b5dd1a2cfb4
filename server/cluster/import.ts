/**
 * `chat-server --redis URL --import-users users.json`: the accounts of a single server's users
 * file, copied into the cluster's Redis. An account already in Redis is left as it is; servers
 * already running learn the new ones through the log.
 */
import { UserFile } from '../store/user-file.js';
import { importAccounts } from './accounts.js';
import { ClusterError, redact } from './cluster-chat.js';
import { encodeEvent, FIELD } from './events.js';
import { connect, KEYS } from './redis.js';

/** Imports; returns the sentence that says what was done. */
export async function importUsers(url: string, path: string): Promise<string> {
  const file = await UserFile.open(path);
  let redis;
  try {
    redis = await connect(url).catch((e: Error) => {
      throw new ClusterError(`cannot reach Redis at ${redact(url)}: ${e.message || 'connection refused'}`);
    });
    const { added, skipped } = await importAccounts(redis, file.all());
    for (const a of added) {
      await redis.xAdd(KEYS.events, '*', { [FIELD]: encodeEvent({ t: 'account', name: a.name, hash: a.hash, created: a.created, o: 'import' }) });
    }
    const were = skipped === 1 ? 'was' : 'were';
    return `Imported ${added.length} account${added.length === 1 ? '' : 's'} from ${path} into Redis at ${redact(url)}; ${skipped} ${were} there already and left as ${skipped === 1 ? 'it was' : 'they were'}`;
  } finally {
    await redis?.quit().catch(() => {});
    await file.close();
  }
}
