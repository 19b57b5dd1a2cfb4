/**
 * The accounts a users file holds on disk, as the server would read them at start: users.json
 * and the journal of registrations beside it (see server/store/user-file.ts).
 */
import { existsSync, readFileSync } from 'node:fs';

export interface AccountOnDisk {
  name: string;
  hash: string;
  created: string;
}

export function accountsOnDisk(db: string): AccountOnDisk[] {
  const accounts: AccountOnDisk[] = JSON.parse(readFileSync(db, 'utf8')).users;
  const seen = new Set(accounts.map((a) => a.name.toLowerCase()));
  for (const journal of [`${db}.journal.old`, `${db}.journal`]) {
    if (!existsSync(journal)) continue;
    for (const row of readFileSync(journal, 'utf8').split('\n')) {
      let a: AccountOnDisk;
      try {
        a = JSON.parse(row);
      } catch {
        continue; // empty, or torn by a crash
      }
      if (seen.has(a.name.toLowerCase())) continue;
      seen.add(a.name.toLowerCase());
      accounts.push(a);
    }
  }
  return accounts;
}
