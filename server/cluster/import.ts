/**
 * `chat-server --redis URL --import-users users.json`: the accounts of a single server's users
 * file, copied into the cluster's Redis. They are read as that server would read them at start
 * (users.json and its journal) and the files are left as they were. An account already in Redis
 * is left as it is; servers already running learn the new ones through the log.
 */
import { redactUrl } from '../../common/redact.js';
import { LockError } from '../store/lock.js';
import { journalOf, readUsersFile, type UsersFileContents } from '../store/user-file.js';
import { importAccounts } from './accounts.js';
import { unreachableRedis, volatileRedis } from './membership.js';
import { encodeEvent, FIELD } from './events.js';
import { connect, KEYS, persists } from './redis.js';

/**
 * Imports; returns the sentence that says what was done. Into a Redis that does not persist only
 * when `ephemeral` (--redis-ephemeral), as a server starts: the accounts would be gone at its
 * restart, and the single server's file may be retired by then.
 */
export async function importUsers(url: string, path: string, ephemeral: boolean): Promise<string> {
  const file = readForImport(path);
  const redis = await connect(url).catch((e: unknown) => {
    throw unreachableRedis(url, e);
  });
  try {
    if ((await persists(redis)) === false && !ephemeral) throw volatileRedis(url);
    const { added, skipped } = await importAccounts(redis, file.accounts);
    for (const a of added) {
      await redis.xAdd(KEYS.events, '*', { [FIELD]: encodeEvent({ t: 'account', name: a.name, hash: a.hash, created: a.created, o: 'import' }) });
    }
    const were = skipped === 1 ? 'was' : 'were';
    return `Imported ${added.length} account${added.length === 1 ? '' : 's'} from ${path} into Redis at ${redactUrl(url)}; ${skipped} ${were} there already and left as ${skipped === 1 ? 'it was' : 'they were'} (${whatWasRead(path, file)})`;
  } finally {
    await redis.quit().catch(() => {});
  }
}

/** The users file; a running server's is refused, saying what to do instead. */
function readForImport(path: string): UsersFileContents {
  try {
    return readUsersFile(path);
  } catch (e) {
    if (!(e instanceof LockError)) throw e;
    // Its newest accounts are in a journal it is writing; stopping it writes them into the file.
    throw new LockError(`${e.message}: stop that server first, then import the file`);
  }
}

/**
 * Where the accounts came from. A server keeps its newest accounts in the journal beside the
 * file, and writes them into the file only now and then and as it stops: a copy of a running
 * server's users.json alone may hold few of them, or none, and the line says what to do.
 */
function whatWasRead(path: string, { accounts, inFile, inJournals, journal }: UsersFileContents): string {
  if (journal) return `read ${accounts.length}: ${inFile} from the file, ${inJournals} from its journal`;
  if (accounts.length > 0) return `read ${accounts.length} from the file, no journal beside it`;
  return `the file holds none, and no journal ${journalOf(path)} lies beside it, where a running server keeps its newest accounts: copy it with the file, or stop the server first`;
}
