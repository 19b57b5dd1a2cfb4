import { expect } from 'chai';
import { socketErrorWords } from '../../common/socket-error.js';

/** An error as Node's sockets raise it: a code and a message naming the call. */
const err = (code: string, message: string): NodeJS.ErrnoException => Object.assign(new Error(message), { code });

describe('socketErrorWords', () => {
  it('says what happened in words, naming the side that did it', () => {
    expect(socketErrorWords(err('ECONNRESET', 'read ECONNRESET'), 'client')).to.equal('connection reset by the client');
    expect(socketErrorWords(err('ECONNRESET', 'read ECONNRESET'), 'server')).to.equal('connection reset by the server');
    expect(socketErrorWords(err('EPIPE', 'write EPIPE'), 'client')).to.equal('connection closed by the client');
    expect(socketErrorWords(err('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5555'), 'server')).to.equal('connection refused');
    expect(socketErrorWords(err('EAI_AGAIN', 'getaddrinfo EAI_AGAIN chat.example'), 'server')).to.equal('unknown host');
  });

  it("keeps Node's message, which names the code, for a code it has no words for", () => {
    expect(socketErrorWords(err('EPROTO', 'write EPROTO 80:error:0A00010B'), 'client')).to.equal('write EPROTO 80:error:0A00010B');
  });
});
