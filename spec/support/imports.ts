/**
 * The layering rules of the source tree, checked from the import lines alone. Pure: it takes
 * file paths (relative to the project root, `/` separated) with their text, and returns every
 * broken rule as a sentence. spec/architecture.spec.ts runs it over the real tree.
 */
import { posix } from 'node:path';

export interface Import {
  /** The importing file. */
  from: string;
  /** The imported project file (resolved, `.ts`), or the package / node: module as written. */
  to: string;
  /** The names imported (empty for `import x`, `import * as x` or a side-effect import). */
  names: string[];
}

const IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?([^;]*?)\s*from\s*['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;

/** The imports of one file. Relative specifiers are resolved to project paths ending in `.ts`. */
export function importsOf(file: string, text: string): Import[] {
  const out: Import[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[2] ?? m[3]!;
    const clause = m[1] ?? '';
    const names = /\{([^}]*)\}/.exec(clause)?.[1]?.split(',').map((n) => n.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!).filter(Boolean) ?? [];
    const to = spec.startsWith('.') ? posix.normalize(posix.join(posix.dirname(file), spec)).replace(/\.js$/, '.ts') : spec;
    out.push({ from: file, to, names });
  }
  return out;
}

interface Rule {
  /** Files the rule applies to. */
  files: RegExp;
  /** Imports those files may not have. */
  forbidden: RegExp;
  /** Exceptions to `forbidden`. */
  allowed?: RegExp;
  why: string;
}

const RULES: Rule[] = [
  { files: /^common\//, forbidden: /^(server|client|bench|spec)\//, why: 'common/ is shared by server and client and depends on neither' },
  { files: /^client\//, forbidden: /^(server|bench)\//, why: 'the client speaks to the server only through common/' },
  {
    files: /^server\/chat\//,
    forbidden: /^(server\/(net|dispatch|store)\/|common\/codec\.ts$|node:(net|dgram|tls|stream)$)/,
    why: 'the chat state knows no sockets, codec, handlers or storage: it speaks through its Outbox',
  },
  {
    files: /^server\/net\//,
    forbidden: /^server\/(chat|dispatch|store)\//,
    allowed: /^server\/chat\/outbox\.ts$/,
    why: 'the net layer implements the chat Outbox and knows no chat rules',
  },
  { files: /^server\/dispatch\//, forbidden: /^server\/net\//, why: 'handlers never hold a connection; they see a Caller' },
  {
    files: /^server\/store\//,
    forbidden: /^server\/(chat|net|dispatch)\//,
    allowed: /^server\/chat\/history\.ts$/,
    why: 'the store knows nothing of the chat or the wire (it implements the history and mailbox ports of chat/history.ts)',
  },
  {
    files: /^server\/(chat|net|dispatch|store)\//,
    forbidden: /^server\/cluster\//,
    why: 'the cluster is a second implementation of the Chat, the outbox and the stores; what it implements knows nothing of it',
  },
  {
    files: /^server\/cluster\//,
    forbidden: /^(server\/dispatch\/|common\/codec\.ts$)/,
    why: 'the cluster replicates changes to the chat, never commands or bytes',
  },
];

/** What only server/net/ may use of the codec, since only it encodes what the server sends. */
const ENCODERS = new Set(['encodeMessage', 'encodeFrame']);

/** Every broken rule and every import cycle among `files`, as sentences. Empty: all is well. */
export function layeringProblems(files: ReadonlyMap<string, string>): string[] {
  const imports = [...files].flatMap(([file, text]) => importsOf(file, text));
  const problems: string[] = [];
  for (const i of imports) {
    for (const rule of RULES) {
      if (rule.files.test(i.from) && rule.forbidden.test(i.to) && !rule.allowed?.test(i.to)) {
        problems.push(`${i.from} imports ${i.to}: ${rule.why}`);
      }
    }
    if (/^server\//.test(i.from) && !/^server\/net\//.test(i.from) && i.to === 'common/codec.ts') {
      const encoders = i.names.filter((n) => ENCODERS.has(n));
      if (encoders.length) problems.push(`${i.from} imports ${encoders.join(', ')}: only server/net/ encodes`);
    }
  }
  return [...problems, ...cycles(imports, files)];
}

/** Import cycles among project files (type-only imports count: a cycle is a design knot either way). */
function cycles(imports: Import[], files: ReadonlyMap<string, string>): string[] {
  const edges = new Map<string, string[]>();
  for (const i of imports) if (files.has(i.to)) edges.set(i.from, [...(edges.get(i.from) ?? []), i.to]);
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    path.push(f);
    for (const next of edges.get(f) ?? []) {
      if (state.get(next) === 'open') found.push(`import cycle: ${[...path.slice(path.indexOf(next)), next].join(' -> ')}`);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(f, 'done');
  };
  for (const f of [...files.keys()].sort()) if (!state.has(f)) visit(f);
  return found;
}
