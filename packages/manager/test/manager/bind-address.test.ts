import { expect } from 'chai';
import { parseBindAddress } from '#lib/http/bind-address.js';

describe('parseBindAddress', () => {
  it('reads :port, host:port, [v6]:port and 0', () => {
    expect(parseBindAddress('x', ':8081')).to.deep.equal({ host: undefined, port: 8081 });
    expect(parseBindAddress('x', '127.0.0.1:8080')).to.deep.equal({ host: '127.0.0.1', port: 8080 });
    expect(parseBindAddress('x', '[::1]:9')).to.deep.equal({ host: '::1', port: 9 });
    expect(parseBindAddress('x', '0')).to.deep.equal({ host: undefined, port: 0 });
    expect(parseBindAddress('x', ':0')).to.deep.equal({ host: undefined, port: 0 });
  });

  it('rejects anything else, naming the option', () => {
    for (const bad of ['', '8080', 'localhost', ':', ':65536', 'a:b', '::1:80', ':-1']) {
      expect(() => parseBindAddress('metricsBindAddress', bad)).to.throw(
        `metricsBindAddress "${bad}" is not an address`,
      );
    }
  });
});
