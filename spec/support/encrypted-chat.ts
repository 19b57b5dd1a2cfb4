/**
 * The encrypted private chat most client specs start with, typed as a person would: users named
 * alice and bob, each a FakeUi driven by its own ChatSession.
 */
import type { FakeUi } from '../client/fake-ui.js';

export interface Typist {
  ui: FakeUi;
  type(line: string): void;
}

/** alice asks bob for an encrypted chat, bob says yes, and both see it start. */
export async function encryptedChat(alice: Typist, bob: Typist): Promise<void> {
  alice.type('@PM bob');
  await bob.ui.waitFor(/alice wants an end-to-end encrypted private chat with you \(Y\/N\)\?/);
  bob.type('y');
  await alice.ui.waitFor(/You are now in an end-to-end encrypted private chat with bob/);
  await bob.ui.waitFor(/You are now in an end-to-end encrypted private chat with alice/);
}
