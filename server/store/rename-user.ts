/**
 * `chat-server --rename-user OLD NEW`: gives an account another name, offline. It is for accounts
 * under names the name rules now refuse (see refused-names.ts), which cannot log in, and works
 * for any. OLD may be written as the start's warning shows it (`alice\u034f`); NEW must be a valid
 * name no other account has. The password hash and the creation date stay; the users file is
 * read and written as a start and a stop would (journals folded in), under the same lock, so a
 * running server's file is refused.
 */
import { foldName, nameProblem } from '../../common/names.js';
import type { Account } from './accounts.js';
import { LockError } from './lock.js';
import { escapeName, unescapeName } from './refused-names.js';
import { changeUsersFile } from './user-file.js';

class RenameError extends Error {}

/** Renames in the users file at `path`; returns the sentence that says what was done. */
export function renameUser(path: string, oldText: string, newText: string): string {
  try {
    return changeUsersFile(path, (accounts) => {
      const { account, to } = planRename((name) => accounts.get(foldName(name)), oldText, newText);
      accounts.delete(foldName(account.name));
      accounts.set(foldName(to), { ...account, name: to });
      return `Renamed the account ${escapeName(account.name)} to ${to} in ${path}; its password and creation date are kept`;
    });
  } catch (e) {
    if (!(e instanceof LockError)) throw e;
    throw new LockError(`${e.message}: stop that server first, then rename the account`);
  }
}

/** The account `oldText` names and the name it is to have, or why it cannot. */
function planRename(find: (name: string) => Account | undefined, oldText: string, newText: string): { account: Account; to: string } {
  const old = unescapeName(oldText);
  const account = find(old);
  if (!account) throw new RenameError(`there is no account named ${escapeName(old)}`);
  const to = newText.normalize('NFC');
  const problem = nameProblem(to);
  if (problem) throw new RenameError(`cannot rename ${escapeName(account.name)} to ${escapeName(to)}: ${problem}`);
  const holder = find(to);
  // The same account under another case (Alice to alice) is a rename too.
  if (holder && holder !== account) throw new RenameError(`cannot rename ${escapeName(account.name)} to ${to}: the account ${escapeName(holder.name)} has that name`);
  return { account, to };
}
