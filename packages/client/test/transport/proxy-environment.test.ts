import { expect } from 'chai';
import { proxyEnvironment } from '#lib/transport/dispatchers.js';

describe('proxyEnvironment', () => {
  it("reads upper case first and skips empty variables, as Go's httpproxy.FromEnvironment", () => {
    expect(
      proxyEnvironment({
        HTTPS_PROXY: 'http://upper:1',
        https_proxy: 'http://lower:1',
        HTTP_PROXY: '',
        http_proxy: 'http://lower:2',
        no_proxy: 'example.com',
      }),
    ).to.deep.equal({ httpsProxy: 'http://upper:1', httpProxy: 'http://lower:2', noProxy: 'example.com' });
    expect(proxyEnvironment({})).to.deep.equal({ httpsProxy: '', httpProxy: '', noProxy: '' });
  });
});
