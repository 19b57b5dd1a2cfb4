import { expect } from 'chai';
import { redactUrl } from '../../common/redact.js';

describe('redactUrl', () => {
  it("hides a URL's password, whatever it holds, and leaves the rest", () => {
    expect(redactUrl('redis://alice:s3cret@db.example:6379/0')).to.equal('redis://alice:***@db.example:6379/0');
    expect(redactUrl('redis://:s3cret@db.example')).to.equal('redis://:***@db.example');
    // A password holding @ runs to the address's last @, as a URL is read.
    expect(redactUrl('redis://u:p@ss@host:6379')).to.equal('redis://u:***@host:6379');
    expect(redactUrl('rediss://u:p@h/x?y=z@w')).to.equal('rediss://u:***@h/x?y=z@w');
  });

  it('leaves a URL without a password as it is', () => {
    for (const url of ['redis://127.0.0.1:6379', 'redis://user@host', 'not a url', '']) expect(redactUrl(url)).to.equal(url);
  });
});
