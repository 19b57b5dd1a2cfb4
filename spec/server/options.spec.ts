/**
 * Where options come from (server/options.ts): the environment, a config file, the command line,
 * in that order of strength; secrets masked for --print-config; sizes. Pure: literal inputs.
 */
import { expect } from 'chai';
import { UsageError } from '../../common/cli.js';
import {
  OPTIONS,
  byteSize,
  envName,
  fromCommandLine,
  fromConfigFile,
  fromEnvironment,
  fromSource,
  maskSecrets,
  merge,
} from '../../server/options.js';

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('did not throw');
};

describe('server options: where they come from', () => {
  it('names environment variables after the option', () => {
    expect(envName('max-output')).to.equal('TINYCHAT_MAX_OUTPUT');
    expect(envName('port')).to.equal('TINYCHAT_PORT');
  });

  it('reads TINYCHAT_* variables as the option types, and ignores other variables', () => {
    const g = fromEnvironment({ TINYCHAT_PORT: '6000', TINYCHAT_ALLOW_GUESTS: 'yes', TINYCHAT_HOST: '0.0.0.0', HOME: '/root', CHAT_PASSWORD: 'x' });
    expect(g.values).to.deep.equal({ port: 6000, 'allow-guests': true, host: '0.0.0.0' });
    expect(g.sources.port).to.deep.equal({ from: 'environment', variable: 'TINYCHAT_PORT' });
  });

  it('refuses an unknown TINYCHAT_ variable, a bad boolean, and an empty number, naming the variable', () => {
    expect(message(() => fromEnvironment({ TINYCHAT_PROT: '1' }))).to.match(/^unknown environment variable TINYCHAT_PROT/);
    expect(message(() => fromEnvironment({ TINYCHAT_ALLOW_GUESTS: 'maybe' }))).to.equal('invalid TINYCHAT_ALLOW_GUESTS "maybe": use true or false');
    expect(message(() => fromEnvironment({ TINYCHAT_PORT: ' ' }))).to.equal('invalid --port (from TINYCHAT_PORT): empty');
    // Only plain decimal text is a number: Number() would read 0x10 as 16.
    expect(message(() => fromEnvironment({ TINYCHAT_PORT: '0x10' }))).to.equal('invalid --port (from TINYCHAT_PORT) "0x10": not a number');
    expect(message(() => fromEnvironment({ TINYCHAT_PORT: 'abc' }))).to.equal('invalid --port (from TINYCHAT_PORT) "abc": not a number');
    // --print-config is an action, not a setting: no variable for it.
    expect(message(() => fromEnvironment({ TINYCHAT_PRINT_CONFIG: 'true' }))).to.match(/unknown environment variable/);
  });

  it('reads a config file of option names with values of their types', () => {
    const g = fromConfigFile('/etc/t.json', '{"port": 6000, "allow-guests": true, "log-max-size": "10M", "log-backups": 3}');
    expect(g.values).to.deep.equal({ port: 6000, 'allow-guests': true, 'log-max-size': '10M', 'log-backups': 3 });
    expect(g.sources['log-backups']).to.deep.equal({ from: 'file', path: '/etc/t.json' });
    expect(fromConfigFile('f', '{"log-max-size": 4096}').values['log-max-size']).to.equal('4096');
  });

  it('refuses an unknown key, a wrong type, a file that is not an object or not JSON, each with the file named', () => {
    expect(message(() => fromConfigFile('c.json', '{"port": 1, "prot": 2}'))).to.equal('config file c.json: unknown key "prot"');
    expect(message(() => fromConfigFile('c.json', '{"config": "other.json"}'))).to.equal('config file c.json: unknown key "config"');
    expect(message(() => fromConfigFile('c.json', '{"port": "6000"}'))).to.equal('config file c.json: "port" must be a number, not "6000"');
    expect(message(() => fromConfigFile('c.json', '[1]'))).to.match(/^config file c\.json must hold a JSON object/);
    expect(message(() => fromConfigFile('c.json', '{"port": 1'))).to.match(/^config file c\.json is not valid JSON/);
  });

  it('says in one line why a config file is not JSON, and where, as an editor counts lines and columns', () => {
    // A file of NAME=VALUE lines: V8 (Node 20) quotes it whole, newlines and all. (V8's own words
    // differ between Node versions: only what this code adds is matched exactly.)
    const lines = message(() => fromConfigFile('c.json', 'port=6000\nhost=x\n'));
    expect(lines).to.match(/^config file c\.json is not valid JSON: /);
    expect(lines).to.not.include('\n');
    // A trailing comma: the closing brace, on line 3.
    expect(message(() => fromConfigFile('c.json', '{\n  "port": 6000,\n}\n'))).to.match(/^config file c\.json is not valid JSON: .* \(line 3,? column 1\)$/);
  });

  it('lets the command line win over the environment, and the environment over the file', () => {
    const file = fromConfigFile('c.json', '{"port": 1, "host": "10.0.0.1", "db": "/srv/users.json"}');
    const env = fromEnvironment({ TINYCHAT_PORT: '2', TINYCHAT_HOST: '10.0.0.2' });
    const cli = fromCommandLine({ port: 3, _: [], $0: 'x', 'allow-guests': undefined });
    const all = merge(file, env, cli);
    expect(all.values).to.deep.equal({ port: 3, host: '10.0.0.2', db: '/srv/users.json' });
    expect(all.sources.port).to.deep.equal({ from: 'command line' });
    expect(all.sources.host).to.deep.equal({ from: 'environment', variable: 'TINYCHAT_HOST' });
    expect(all.sources.db).to.deep.equal({ from: 'file', path: 'c.json' });
  });

  it('names the origin in the very sentence the command line gets', () => {
    const bad = new UsageError('invalid --port 70000: use a whole number from 0 to 65535');
    expect((fromSource(bad, { from: 'environment', variable: 'TINYCHAT_PORT' }) as Error).message).to.equal(
      'invalid --port 70000 (from TINYCHAT_PORT): use a whole number from 0 to 65535',
    );
    expect((fromSource(bad, { from: 'file', path: '/etc/t.json' }) as Error).message).to.equal(
      'invalid --port 70000 (from config file /etc/t.json): use a whole number from 0 to 65535',
    );
    expect(fromSource(bad, { from: 'command line' })).to.equal(bad);
  });

  it('masks secrets by what they are: private-key content and passwords in URLs; a password length, paths and names stay', () => {
    const shown = maskSecrets({
      port: 5555,
      'min-password': 8,
      redis: 'redis://chat:s3cr3t@redis.internal:6379/0',
      'redis-no-user': 'rediss://:s3cr3t@redis.internal',
      'redis-at': 'redis://chat:p@ss@redis.internal/0?x=a@b',
      'redis-plain': 'redis://redis.internal:6379',
      'redis-user-only': 'redis://chat@redis.internal:6379/0',
      'tls-key': '/etc/tinychat/key.pem',
      'key-inline': '-----BEGIN PRIVATE KEY-----\nMIIE...',
      'node-id': 'password-server',
    });
    expect(shown).to.deep.equal({
      port: 5555,
      'min-password': 8,
      redis: 'redis://chat:***@redis.internal:6379/0',
      'redis-no-user': 'rediss://:***@redis.internal',
      'redis-at': 'redis://chat:***@redis.internal/0?x=a@b',
      'redis-plain': 'redis://redis.internal:6379',
      'redis-user-only': 'redis://chat@redis.internal:6379/0',
      'tls-key': '/etc/tinychat/key.pem',
      'key-inline': '***',
      'node-id': 'password-server',
    });
  });

  it('reads sizes in bytes or with K, M, G; 0 is "never"; a tiny or odd size is refused', () => {
    expect(byteSize('log-max-size', '0')).to.equal(0);
    expect(byteSize('log-max-size', '4096')).to.equal(4096);
    expect(byteSize('log-max-size', '512K')).to.equal(512 * 1024);
    expect(byteSize('log-max-size', '10M')).to.equal(10 * 1024 * 1024);
    expect(byteSize('log-max-size', '1gb')).to.equal(1024 ** 3);
    expect(byteSize('log-max-size', '2MiB')).to.equal(2 * 1024 ** 2);
    expect(message(() => byteSize('log-max-size', '10X'))).to.match(/^invalid --log-max-size "10X": use 0 \(never\), or a size of at least 1024 bytes/);
    expect(message(() => byteSize('log-max-size', '100'))).to.match(/^invalid --log-max-size "100"/);
    expect(message(() => byteSize('log-max-size', '-1'))).to.match(/^invalid --log-max-size/);
  });

  it('declares every option the command line, the environment and the file share, with its type', () => {
    for (const [name, spec] of Object.entries(OPTIONS)) {
      expect(['string', 'number', 'boolean'], name).to.include(spec.kind);
      expect(name).to.match(/^[a-z][a-z0-9-]*$/);
    }
  });
});
