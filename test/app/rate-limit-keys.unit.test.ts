import test from 'tape';
import { clientKey } from '../../src/web/rate-limits.ts';

test('rate limits: an IPv6 client counts by its /64, an IPv4 one by its address however written', (t) => {
  t.equal(clientKey('203.0.113.7'), '203.0.113.7');
  t.equal(clientKey('::ffff:203.0.113.7'), '203.0.113.7', 'IPv4 mapped into IPv6 is the same client');
  t.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.equal(
    clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'),
    '2001:db8:1:2::/64',
    'any address in the /64 is the same client',
  );
  t.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64', 'a :: in the first half is filled in');
  t.equal(clientKey('::1'), '0:0:0:0::/64');
  t.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64', 'a zone is not part of the client');
  t.end();
});
