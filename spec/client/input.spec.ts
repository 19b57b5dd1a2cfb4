import { expect } from 'chai';
import { COMMANDS, KEYS, briefHelpLines, commandWords, helpFor, helpLines, parseInput } from '../../client/input.js';

const send = (message: object) => ({ kind: 'send', message });
const problem = (text: string) => ({ kind: 'problem', text });

describe('client/input', () => {
  it('sends plain text to the group (or the private partner) as typed', () => {
    expect(parseInput('hello world')).to.deep.equal(send({ type: 'say', text: 'hello world' }));
    expect(parseInput('  spaced  out ')).to.deep.equal(send({ type: 'say', text: '  spaced  out ' }));
    expect(parseInput('merhaba arkadaşlar 👋')).to.deep.equal(send({ type: 'say', text: 'merhaba arkadaşlar 👋' }));
  });

  it('ignores blank lines', () => {
    expect(parseInput('')).to.deep.equal({ kind: 'none' });
    expect(parseInput('   \t ')).to.deep.equal({ kind: 'none' });
  });

  it('reads @PM NAME as a private chat request, in any case', () => {
    expect(parseInput('@PM bob')).to.deep.equal(send({ type: 'pm_request', to: 'bob' }));
    expect(parseInput('@pm Bob ')).to.deep.equal(send({ type: 'pm_request', to: 'Bob' }));
    expect(parseInput('@PM')).to.deep.equal(problem('usage: @PM NAME'));
    expect(parseInput('@PM bob and more')).to.deep.equal(problem('usage: @PM NAME'));
  });

  it('reads the encrypted-chat and file commands, and says how to use each when mistyped', () => {
    expect(parseInput('/plain bob')).to.deep.equal(send({ type: 'pm_request', to: 'bob', plain: true }));
    expect(parseInput('/plain')).to.deep.equal(problem('usage: /plain NAME'));
    expect(parseInput('/verify')).to.deep.equal({ kind: 'verify', confirm: false });
    expect(parseInput('/VERIFY yes')).to.deep.equal({ kind: 'verify', confirm: true });
    expect(parseInput('/verify maybe')).to.deep.equal(problem('usage: /verify, or /verify yes once the numbers matched'));
    expect(parseInput('/trust bob')).to.deep.equal({ kind: 'trust', name: 'bob' });
    expect(parseInput('/trust')).to.deep.equal(problem('usage: /trust NAME'));
    expect(parseInput('/send bob "my report.pdf"')).to.deep.equal({ kind: 'send-file', to: 'bob', path: 'my report.pdf' });
    expect(parseInput('/send bob ~/a b.txt')).to.deep.equal({ kind: 'send-file', to: 'bob', path: '~/a b.txt' });
    expect(parseInput('/send bob')).to.deep.equal(problem('usage: /send NAME PATH'));
    expect(parseInput('/cancel')).to.deep.equal({ kind: 'cancel' });
    expect(parseInput('/cancel #2')).to.deep.equal({ kind: 'cancel', which: '#2' });
    expect(parseInput('/cancel #2 #3')).to.deep.equal(problem('usage: /cancel [#N|NAME]'));
  });

  it('reads a bare Y, N, yes or no (any case) as an answer, for the session to send or refuse', () => {
    expect(parseInput('Y')).to.deep.equal({ kind: 'answer', accept: true, typed: 'Y' });
    expect(parseInput(' n ')).to.deep.equal({ kind: 'answer', accept: false, typed: 'n' });
    expect(parseInput('Yes')).to.deep.equal({ kind: 'answer', accept: true, typed: 'Yes' });
    expect(parseInput('NO')).to.deep.equal({ kind: 'answer', accept: false, typed: 'NO' });
    expect(parseInput('yes please')).to.deep.equal(send({ type: 'say', text: 'yes please' }));
    expect(parseInput('/say y')).to.deep.equal(send({ type: 'say', text: 'y' }));
  });

  it('clears the screen with /clear', () => {
    expect(parseInput('/clear')).to.deep.equal({ kind: 'clear' });
    expect(parseInput('/CLEAR now')).to.deep.equal(problem('usage: /clear'));
  });

  it('answers a chosen request with /accept NAME and /reject NAME (or #N, a file offer)', () => {
    expect(parseInput('/accept alice')).to.deep.equal({ kind: 'answer', accept: true, typed: '/accept alice', target: 'alice' });
    expect(parseInput('/REJECT alice')).to.deep.equal({ kind: 'answer', accept: false, typed: '/reject alice', target: 'alice' });
    expect(parseInput('/accept #2')).to.deep.equal({ kind: 'answer', accept: true, typed: '/accept #2', target: '#2' });
    expect(parseInput('/accept')).to.deep.equal(problem('usage: /accept NAME|#N'));
  });

  it('leaves a private chat with EXIT PM, but logs out with a bare exit', () => {
    expect(parseInput('EXIT PM')).to.deep.equal(send({ type: 'pm_exit' }));
    expect(parseInput(' exit   pm ')).to.deep.equal(send({ type: 'pm_exit' }));
    expect(parseInput('exit')).to.deep.equal({ kind: 'logout' });
  });

  it('logs out with LOGOUT, exit, quit and /quit only when they are the whole line', () => {
    for (const word of ['LOGOUT', 'logout', 'exit', 'Quit', 'quit', '/quit']) {
      expect(parseInput(word), word).to.deep.equal({ kind: 'logout' });
    }
    expect(parseInput('quit smoking')).to.deep.equal(send({ type: 'say', text: 'quit smoking' }));
  });

  it('sends one private message with /msg NAME TEXT or @NAME TEXT, keeping the text as typed', () => {
    expect(parseInput('/msg bob hi  there')).to.deep.equal(send({ type: 'dm', to: 'bob', text: 'hi  there' }));
    expect(parseInput('@bob hi')).to.deep.equal(send({ type: 'dm', to: 'bob', text: 'hi' }));
    expect(parseInput('/msg bob')).to.deep.equal(problem('usage: /msg NAME TEXT'));
    expect(parseInput('/msg')).to.deep.equal(problem('usage: /msg NAME TEXT'));
    expect(parseInput('@bob')).to.deep.equal(problem('usage: @NAME TEXT'));
    // A lone @ is not a command.
    expect(parseInput('@ home')).to.deep.equal(send({ type: 'say', text: '@ home' }));
  });

  it('sends to the group with /all TEXT, even during a private chat', () => {
    expect(parseInput('/all hello everyone')).to.deep.equal(send({ type: 'say', group: true, text: 'hello everyone' }));
    expect(parseInput('/all')).to.deep.equal(problem('usage: /all TEXT'));
  });

  it('lists users with /who, the commands most used with /help, and every command and key with /help all', () => {
    expect(parseInput('/who')).to.deep.equal(send({ type: 'who' }));
    expect(parseInput('/help')).to.deep.equal({ kind: 'help', all: false });
    expect(parseInput(' /HELP  ')).to.deep.equal({ kind: 'help', all: false });
    expect(parseInput('/help all')).to.deep.equal({ kind: 'help', all: true });
    expect(parseInput('/Help ALL')).to.deep.equal({ kind: 'help', all: true });
    expect(parseInput('/help send')).to.deep.equal({ kind: 'help', all: false, topic: 'send' });
    expect(parseInput('/help send files')).to.deep.equal(problem('usage: /help, /help all for every command and key, or /help COMMAND (/help send)'));
    expect(parseInput('/who is there')).to.deep.equal(problem('usage: /who'));
  });

  it('/help WORD: the command (or key) it names, with or without its / or @, in any case', () => {
    expect(helpFor('/send')).to.deep.equal(['  /send NAME PATH  offer NAME the file at PATH (NAME is asked first; encrypted inside an encrypted chat)']);
    expect(helpFor('SEND')).to.deep.equal(helpFor('/send'));
    expect(helpFor('pm')).to.deep.equal(['  @PM NAME  ask NAME for an end-to-end encrypted private chat']);
    expect(helpFor('exit')!.map((l) => l.trim().split('  ')[0])).to.deep.equal(['EXIT PM', 'LOGOUT | exit | quit | /quit']);
    expect(helpFor('accept')![0]).to.match(/^ {2}\/accept NAME\|#N {2}accept NAME's private chat request/);
    expect(helpFor('tab')![0]).to.match(/^ {2}Tab {2}complete a name/);
    expect(helpFor('nosuch')).to.equal(null);
    // Every command can be asked about by its first word.
    for (const c of COMMANDS) expect(helpFor(c.syntax.split(/[\s|]+/)[0]!), c.syntax).to.not.equal(null);
  });

  it('refuses an unknown /command locally, with a hint', () => {
    expect(parseInput('/nick bob')).to.deep.equal(problem('unknown command /nick; type /help for the list'));
    // What other chat programs call them: the hint names ours.
    expect(parseInput('/pm bob')).to.deep.equal(problem('unknown command /pm; a private chat is asked for with @PM NAME (see /help)'));
    expect(parseInput('/PM')).to.deep.equal(problem('unknown command /PM; a private chat is asked for with @PM NAME (see /help)'));
    expect(parseInput('/exit')).to.deep.equal(problem('unknown command /exit; EXIT PM leaves a private chat, /quit logs out (see /help)'));
    expect(parseInput('/query bob')).to.deep.equal(problem('unknown command /query; a private chat is asked for with @PM NAME (see /help)'));
    expect(parseInput('/part')).to.deep.equal(problem('unknown command /part; EXIT PM leaves a private chat, /quit logs out (see /help)'));
    // An escape sequence typed or pasted stays a plain string here; the display escapes it.
    expect(parseInput('/\x1b[2J')).to.deep.equal(problem('unknown command /\x1b[2J; type /help for the list'));
  });

  it('sends a line starting with / when it is doubled', () => {
    expect(parseInput('//shrug')).to.deep.equal(send({ type: 'say', text: '/shrug' }));
  });

  it('documents every command and key in /help from the one table', () => {
    const help = helpLines();
    expect(help[0]).to.equal('Commands:');
    expect(help).to.have.length(COMMANDS.length + KEYS.length + 3);
    expect(help).to.include('Only a private chat started with @PM between tinychat clients is end-to-end encrypted; /msg, @NAME and the group are not.');
    const commands = [
      '@PM NAME', '/plain NAME', 'Y | N', '/accept NAME|#N', '/reject NAME|#N', 'EXIT PM', '/verify [yes]', '/trust NAME', '/send NAME PATH',
      '/cancel [#N|NAME]', '/all TEXT', '/msg NAME TEXT', '@NAME TEXT', '/say TEXT', '/who', '/clear', '/help [all|COMMAND]', 'LOGOUT | exit | quit | /quit',
    ];
    for (const syntax of [...commands, 'Tab', 'Alt-Enter, Ctrl-J', 'paste']) {
      expect(help.some((l) => l.startsWith(`  ${syntax} `)), syntax).to.equal(true);
    }
  });

  it('keeps /help short: the commands most used, one short line each, and the way to the rest', () => {
    expect(briefHelpLines()).to.deep.equal([
      'The commands most used:',
      '  @PM NAME         ask NAME for an encrypted private chat',
      '  /plain NAME      ask NAME for a private chat that is NOT encrypted',
      '  Y | N            answer the request waiting (yes / no)',
      '  EXIT PM          leave the private chat',
      '  /send NAME PATH  offer NAME a file',
      '  /msg NAME TEXT   one private message to NAME (NOT encrypted)',
      '  /who             who is online',
      '  /history [N]     older lines of the group',
      '  /quit            log out and leave',
      '  TEXT             to everyone, or to your partner in a private chat',
      'Only a private chat started with @PM between tinychat clients is end-to-end encrypted; /msg, @NAME and the group are not.',
      'Type /help all for every command and key.',
    ]);
  });

  it('lists the /commands Tab completes, from the same table', () => {
    expect(commandWords()).to.deep.equal([
      '/accept', '/all', '/away', '/back', '/cancel', '/clear', '/help', '/history', '/me', '/msg', '/plain', '/quit', '/reject', '/say', '/send', '/trust', '/verify', '/who',
    ]);
  });

  it('reads /me as an action, /away [MESSAGE] and /back, and /history [N] from 1 to 200', () => {
    expect(parseInput('/me waves')).to.deep.equal({ kind: 'send', message: { type: 'say', action: true, text: 'waves' } });
    expect(parseInput('/away gone fishing')).to.deep.equal({ kind: 'send', message: { type: 'away', message: 'gone fishing' } });
    expect(parseInput('/away')).to.deep.equal({ kind: 'send', message: { type: 'away', message: 'away' } });
    expect(parseInput('/back')).to.deep.equal({ kind: 'send', message: { type: 'back' } });
    expect(parseInput('/history')).to.deep.equal({ kind: 'history', count: 50 });
    expect(parseInput('/history 200')).to.deep.equal({ kind: 'history', count: 200 });
    for (const bad of ['/history 0', '/history 201', '/history lots']) expect(parseInput(bad)).to.have.property('kind', 'problem');
  });
});
