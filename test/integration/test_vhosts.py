"""Virtual hosts: name-based on one port, IP-based on two addresses, x0d -S."""

import os
import unittest

import x0test
from x0test import Conn, ServerTestCase, run_x0d


def site(server, name):
    """A document root DIR/name with an index.html that says name."""
    root = os.path.join(server.dir, name)
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, 'index.html'), 'w') as f:
        f.write('site %s\n' % name)
    return root


class NameBasedTest(ServerTestCase):
    """Three name-based hosts on *:port; the first is the default."""

    @classmethod
    def prepare(cls, server):
        server.write('index.html', 'main server\n')
        roots = {n: site(server, n) for n in ('default', 'a', 'b')}
        extra = '''
<VirtualHost *:{port}>
    ServerName default.test
    DocumentRoot {default}
</VirtualHost>
<VirtualHost *:{port}>
    ServerName a.test
    ServerAlias www.a.test *.wild.test
    DocumentRoot {a}
</VirtualHost>
<VirtualHost *:{port}>
    ServerName b.test
    DocumentRoot {b}
    <Location /hello>
        SetHandler None
    </Location>
</VirtualHost>
'''.format(port=server.port, **roots)
        server.write_config({}, extra)

    def body_for(self, host, path='/'):
        r = self.get(path, host=host)
        self.assertEqual(r.status, 200, r)
        return r.body

    def test_host_picks_the_document_root(self):
        self.assertEqual(self.body_for('a.test'), b'site a\n')
        self.assertEqual(self.body_for('b.test'), b'site b\n')
        self.assertEqual(self.body_for('default.test'), b'site default\n')

    def test_host_is_case_insensitive_and_may_carry_the_port(self):
        self.assertEqual(self.body_for('A.Test:%d' % self.port), b'site a\n')
        self.assertEqual(self.body_for('B.TEST'), b'site b\n')

    def test_aliases_and_wildcards(self):
        self.assertEqual(self.body_for('www.a.test'), b'site a\n')
        self.assertEqual(self.body_for('x.wild.test'), b'site a\n')
        self.assertEqual(self.body_for('deep.x.wild.test'), b'site a\n')
        self.assertEqual(self.body_for('wild.test'), b'site default\n')

    def test_unknown_host_gets_the_first_vhost(self):
        self.assertEqual(self.body_for('nobody.test'), b'site default\n')
        self.assertEqual(self.body_for('127.0.0.1:%d' % self.port), b'site default\n')

    def test_http10_without_host_gets_the_first_vhost(self):
        r = self.get('/', host=None, version='HTTP/1.0')
        self.assertEqual((r.status, r.body), (200, b'site default\n'))

    def test_main_server_locations_reach_every_vhost_and_a_vhost_can_override(self):
        r = self.get('/hello', host='a.test')
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.body.startswith(b'hello, world 1'), r.body[:80])
        r = self.get('/hello', host='b.test')
        self.assertEqual(r.status, 404, r)

    def test_keep_alive_requests_may_name_different_hosts(self):
        with self.conn() as c:
            for host, body in (('a.test', b'site a\n'), ('b.test', b'site b\n'),
                               ('other', b'site default\n')):
                c.request('GET', '/', host=host)
                r = c.read_response()
                self.assertEqual((r.status, r.body), (200, body))

    def test_show_vhosts(self):
        p = run_x0d(['-f', self.server.conf_path, '-S'])
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 0, out + p.stderr.decode())
        lines = [l for l in out.split('\n') if 'namevhost' in l]
        self.assertEqual([l.split()[3] for l in lines], ['default.test', 'a.test', 'b.test'], out)
        self.assertIn('*:%d' % self.port, out)
        self.assertIn('default server default.test', out)
        self.assertIn('alias www.a.test', out)
        self.assertIn('alias *.wild.test', out)


class IpBasedTest(ServerTestCase):
    """127.0.0.2 has a virtual host of its own; 127.0.0.1 is the main server."""

    @classmethod
    def prepare(cls, server):
        server.write('index.html', 'main server\n')
        two = site(server, 'two')
        extra = '''
<VirtualHost 127.0.0.2:{port}>
    ServerName two.test
    DocumentRoot {two}
</VirtualHost>
'''.format(port=server.port, two=two)
        server.write_config({'Listen': ['127.0.0.1:%d' % server.port,
                                        '127.0.0.2:%d' % server.port]}, extra)

    def fetch_from(self, address, host):
        with Conn(self.port, host=address) as c:
            c.request('GET', '/', host=host)
            return c.read_response()

    def test_the_address_picks_the_server(self):
        r = self.fetch_from('127.0.0.2', 'two.test')
        self.assertEqual((r.status, r.body), (200, b'site two\n'))
        r = self.fetch_from('127.0.0.1', 'two.test')
        self.assertEqual((r.status, r.body), (200, b'main server\n'))

    def test_any_host_on_the_vhost_address_gets_the_vhost(self):
        r = self.fetch_from('127.0.0.2', 'elsewhere.test')
        self.assertEqual((r.status, r.body), (200, b'site two\n'))


class VhostConfigErrorTest(unittest.TestCase):

    def check(self, extra, message):
        srv = x0test.Server(extra=extra)
        try:
            text = srv.config_text({}, extra)
            line = text.split('\n').index(extra.strip().split('\n')[-1]) + 1
            p = run_x0d(['-f', srv.conf_path, '-t'])
            err = p.stderr.decode()
            self.assertEqual(p.returncode, 1, err)
            self.assertIn('%s:' % srv.conf_path, err)
            self.assertIn(message, err)
            return line
        finally:
            srv.cleanup()

    def test_name_instead_of_address(self):
        self.check('<VirtualHost www.example.com:80>\n</VirtualHost>',
                   "'www.example.com' is not an IP address")

    def test_listen_inside_a_vhost(self):
        self.check('<VirtualHost *:80>\nListen 81\n</VirtualHost>',
                   'Listen not allowed in <VirtualHost>')

    def test_nested_vhost(self):
        self.check('<VirtualHost *:80>\n<VirtualHost *:81>\n</VirtualHost>\n</VirtualHost>',
                   '<VirtualHost> cannot occur within <VirtualHost> section')

    def test_unclosed_vhost(self):
        self.check('<VirtualHost *:80>\nServerName x', '<VirtualHost> was not closed')


if __name__ == '__main__':
    unittest.main()
