/**
 * The layers hold: the chat state imports no sockets and no codec, only server/net/ encodes,
 * the store and the handlers stay in their lanes, and no import cycle exists anywhere. The checker
 * is tried on literal trees first, so a rule that could never fire would show here.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { importsOf, layeringProblems } from './support/imports.js';

/** The project root, from dist/spec/architecture.spec.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sources(): Map<string, string> {
  const files = new Map<string, string>();
  for (const top of ['common', 'server', 'client', 'bench', 'spec']) {
    for (const entry of readdirSync(`${ROOT}${top}`, { recursive: true, encoding: 'utf8' })) {
      if (!entry.endsWith('.ts')) continue;
      const path = `${top}/${entry.split('\\').join('/')}`;
      files.set(path, readFileSync(`${ROOT}${path}`, 'utf8'));
    }
  }
  return files;
}

describe('architecture: the import rules', () => {
  it('reads imports, exports and their names, resolving relative paths', () => {
    const text = [
      "import { encodeMessage, type Frame } from '../../common/codec.js';",
      "import type { Outbox } from './outbox.js';",
      "export { thing as other } from '../x.js';",
      "import net from 'node:net';",
      "import './side-effect.js';",
      'import {',
      '  a,',
      '  b as c,',
      "} from '../multi.js';",
    ].join('\n');
    expect(importsOf('server/chat/room.ts', text)).to.deep.equal([
      { from: 'server/chat/room.ts', to: 'common/codec.ts', names: ['encodeMessage', 'Frame'] },
      { from: 'server/chat/room.ts', to: 'server/chat/outbox.ts', names: ['Outbox'] },
      { from: 'server/chat/room.ts', to: 'server/x.ts', names: ['thing'] },
      { from: 'server/chat/room.ts', to: 'node:net', names: [] },
      { from: 'server/chat/room.ts', to: 'server/chat/side-effect.ts', names: [] },
      { from: 'server/chat/room.ts', to: 'server/multi.ts', names: ['a', 'b'] },
    ]);
  });

  it('flags each forbidden import with its reason, and lets the allowed ones through', () => {
    const tree = new Map([
      ['server/chat/room.ts', "import { Connection } from '../net/connection.js';\nimport type { Outbox } from './outbox.js';"],
      ['server/chat/outbox.ts', "import type { ServerMessage } from '../../common/protocol.js';"],
      ['server/chat/bad.ts', "import { FrameDecoder } from '../../common/codec.js';\nimport net from 'node:net';"],
      ['server/net/delivery.ts', "import type { Outbox } from '../chat/outbox.js';\nimport { Room } from '../chat/room.js';"],
      ['server/net/connection.ts', "import { encodeMessage } from '../../common/codec.js';"],
      ['server/dispatch/auth.ts', "import { Connection } from '../net/connection.js';"],
      ['server/store/user-file.ts', "import { Room } from '../chat/room.js';"],
      ['server/config.ts', "import { DEFAULT_MAX_BODY, encodeMessage } from '../common/codec.js';"],
      ['common/protocol.ts', "import { x } from '../server/config.js';"],
      ['client/main.ts', "import { ChatServer } from '../server/server.js';"],
      ['common/codec.ts', "export const DEFAULT_MAX_BODY = 1;"],
      ['common/text.ts', ''],
      ['server/chat/chat.ts', "import type { ClusterChat } from '../cluster/cluster-chat.js';"],
      ['server/cluster/replica.ts', "import { Room } from '../chat/room.js';\nimport { handlers } from '../dispatch/table.js';"],
    ]);
    expect(layeringProblems(tree).map((p) => p.split(':')[0])).to.deep.equal([
      'server/chat/room.ts imports server/net/connection.ts',
      'server/chat/bad.ts imports common/codec.ts',
      'server/chat/bad.ts imports node',
      'server/net/delivery.ts imports server/chat/room.ts',
      'server/dispatch/auth.ts imports server/net/connection.ts',
      'server/store/user-file.ts imports server/chat/room.ts',
      'server/config.ts imports encodeMessage',
      'common/protocol.ts imports server/config.ts',
      'client/main.ts imports server/server.ts',
      'server/chat/chat.ts imports server/cluster/cluster-chat.ts',
      'server/cluster/replica.ts imports server/dispatch/table.ts',
    ]);
  });

  it('finds an import cycle, type-only imports included', () => {
    const tree = new Map([
      ['server/a.ts', "import { b } from './b.js';"],
      ['server/b.ts', "import type { C } from './c.js';"],
      ['server/c.ts', "import { a } from './a.js';"],
      ['server/d.ts', "import { a } from './a.js';"],
    ]);
    expect(layeringProblems(tree)).to.deep.equal(['import cycle: server/a.ts -> server/b.ts -> server/c.ts -> server/a.ts']);
  });

  it('holds for the whole source tree', () => {
    const files = sources();
    expect(files.size, 'found the sources').to.be.greaterThan(100);
    expect(files.has('server/chat/room.ts') && files.has('server/net/delivery.ts')).to.equal(true);
    expect(layeringProblems(files)).to.deep.equal([]);
  });
});
