import { expect } from 'chai';
import { explain } from '../../client/connection.js';

const error = (code: string, message = code, extra: object = {}) => Object.assign(new Error(message), { code, ...extra });
const ep = { host: 'chat.example', port: 5555, tls: true };

describe('client/connection: connection failures in words', () => {
  it('names the certificate\'s hosts when it is trusted but for other names, without advising --ca', () => {
    const e = error('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames", {
      cert: { subjectaltname: 'DNS:localhost, IP Address:127.0.0.1' },
    });
    const said = explain(e, { ...ep, ca: Buffer.from('pem') });
    expect(said).to.equal(
      'the TLS certificate of chat.example:5555 does not name chat.example (it is for localhost, 127.0.0.1); connect with --host set to a name it lists',
    );
    expect(explain(e, ep)).not.to.include('--ca');
  });

  it('advises --ca for an untrusted certificate, and says the file did not help when it was given', () => {
    const e = error('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate');
    expect(explain(e, ep)).to.equal(
      'the TLS certificate of chat.example:5555 is not trusted (self-signed certificate); pass --ca FILE to trust a self-signed certificate',
    );
    expect(explain(e, { ...ep, ca: Buffer.from('pem') })).to.equal(
      "the TLS certificate of chat.example:5555 is not trusted (self-signed certificate), even with --ca: the file holds neither the server's certificate nor the one that signed it",
    );
  });

  it('says plainly when the server does not speak TLS, or cannot be reached', () => {
    expect(explain(error('ERR_SSL_WRONG_VERSION_NUMBER'), ep)).to.equal('server does not speak TLS; drop --tls');
    expect(explain(error('ECONNREFUSED'), { ...ep, tls: false })).to.equal('cannot connect to chat.example:5555: connection refused');
    expect(explain(error('ECONNREFUSED'), { host: '::1', port: 46200, tls: false })).to.equal('cannot connect to [::1]:46200: connection refused');
    expect(explain(error('ECONNREFUSED'), { host: '127.0.0.1', port: 46200, tls: false })).to.equal('cannot connect to 127.0.0.1:46200: connection refused');
  });
});
