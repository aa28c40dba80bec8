"""mod_authz: Require all/ip/local/not, <RequireAll|Any|None>, scopes that
replace outer ones, and config errors (FILE:LINE from x0d -t).

The client is always 127.0.0.1 (x0d listens on loopback only)."""

import os
import time
import unittest

from x0test import (SHIPPED_MODULES, Server, ServerTestCase, load_module_lines,
                    run_x0d)

# mod_authz (and mod_alias, for the Alias case) loaded or built in.
MODULES = tuple(dict.fromkeys(SHIPPED_MODULES + ('alias', 'authz')))


def with_authz():
    return {'LoadModule': load_module_lines(MODULES)}


AREAS = ('open', 'denied', 'me', 'ten', 'both', 'v6', 'notme', 'notten', 'none',
         'nested', 'anyall', 'outer', 'outer/open', 'outer/inherit', 'dir', 'local',
         'mask', 'partial', 'files')


class RequireTest(ServerTestCase):

    @classmethod
    def prepare(cls, server):
        for area in AREAS:
            server.write('%s/f.txt' % area, 'in %s\n' % area)
        server.write('files/blocked.txt', 'blocked\n')
        out = os.path.join(server.dir, 'aliased')
        os.makedirs(out)
        with open(os.path.join(out, 'f.txt'), 'w') as f:
            f.write('aliased\n')
        server.write_config(with_authz(), '''
Alias /aliased/ {out}/
<Directory {out}>
    Require all denied
</Directory>
<Location /open>
    Require all granted
</Location>
<Location /denied>
    Require all denied
</Location>
<Location /me>
    Require ip 127.0.0.1
</Location>
<Location /ten>
    Require ip 10.0.0.0/8
</Location>
<Location /both>
    Require ip 10.0.0.0/8
    Require ip 127.0.0.0/8
</Location>
<Location /v6>
    Require ip ::1 2001:db8::/32
</Location>
<Location /mask>
    Require ip 127.0.0.0/255.0.0.0
</Location>
<Location /partial>
    Require ip 127.0
</Location>
<Location /local>
    Require local
</Location>
<Location /notme>
    <RequireAll>
        Require all granted
        Require not ip 127.0.0.1
    </RequireAll>
</Location>
<Location /notten>
    <RequireAll>
        Require all granted
        Require not ip 10.0.0.0/8
    </RequireAll>
</Location>
<Location /none>
    <RequireAll>
        Require all granted
        <RequireNone>
            Require ip 192.168
            Require ip 127.0.0.1
        </RequireNone>
    </RequireAll>
</Location>
<Location /nested>
    <RequireAny>
        Require ip 10.1
        <RequireAll>
            Require local
            Require not ip 127.0.0.2
        </RequireAll>
    </RequireAny>
</Location>
<Location /anyall>
    <RequireAll>
        Require ip 127.0.0.1
        <RequireAny>
            Require ip 10.0.0.0/8
            Require ip 192.168.0.0/16
        </RequireAny>
    </RequireAll>
</Location>
<Location /outer>
    Require all denied
</Location>
<Location /outer/open>
    Require all granted
</Location>
<Location /outer/inherit>
    ForceType text/plain
</Location>
<Directory {root}/dir>
    Require ip 10.0.0.0/8
</Directory>
<Files blocked.txt>
    Require all denied
</Files>
'''.format(out=out, root=server.root))

    def status(self, path, method='GET'):
        return self.get(path, method=method).status

    def allowed(self, area):
        r = self.get('/%s/f.txt' % area)
        self.assertEqual((r.status, r.body), (200, ('in %s\n' % area).encode()), (area, r))

    def forbidden(self, area, method='GET'):
        r = self.get('/%s/f.txt' % area, method=method)
        self.assertEqual(r.status, 403, (area, r))
        self.assertEqual(r.reason, 'Forbidden')
        self.assertNotIn(('in %s' % area).encode(), r.body)
        return r

    def test_all_granted_and_denied(self):
        self.allowed('open')
        r = self.forbidden('denied')
        self.assertEqual(r.header('Content-Type'), 'text/html; charset=utf-8')
        self.assertIn(b'403 Forbidden', r.body)
        # Everything below the location, and a missing file too: access is
        # checked before the handler looks.
        self.assertEqual(self.status('/denied/'), 403)
        self.assertEqual(self.status('/denied/nope.txt'), 403)
        self.assertEqual(self.status('/denied'), 403)

    def test_head_is_refused_too(self):
        r = self.forbidden('denied', method='HEAD')
        self.assertEqual(r.body, b'')

    def test_no_require_means_no_check(self):
        r = self.get('/f.txt')
        self.assertEqual(r.status, 404)  # no such file, but not forbidden
        self.allowed('outer/open')

    def test_ip(self):
        self.allowed('me')
        self.forbidden('ten')
        self.allowed('mask')
        self.allowed('partial')

    def test_ipv6_rules_do_not_match_an_ipv4_client(self):
        self.forbidden('v6')

    def test_local(self):
        self.allowed('local')

    def test_several_lines_mean_any(self):
        self.allowed('both')

    def test_require_all_with_not(self):
        self.forbidden('notme')
        self.allowed('notten')

    def test_require_none(self):
        self.forbidden('none')

    def test_nested_sections(self):
        self.allowed('nested')
        self.forbidden('anyall')

    def test_inner_scope_replaces_outer(self):
        self.forbidden('outer')
        self.allowed('outer/open')
        # A scope without Require inherits the outer one.
        r = self.forbidden('outer/inherit')
        self.assertEqual(r.header('Content-Type'), 'text/html; charset=utf-8')

    def test_directory_and_files(self):
        self.forbidden('dir')
        self.allowed('files')
        r = self.get('/files/blocked.txt')
        self.assertEqual(r.status, 403, r)
        self.assertNotIn(b'blocked', r.body)

    def test_alias_target_directory(self):
        # The <Directory> of an Alias target applies to what the alias serves.
        r = self.get('/aliased/f.txt')
        self.assertEqual(r.status, 403, r)
        self.assertNotIn(b'aliased', r.body)

    def test_keep_alive_continues_after_403(self):
        with self.conn() as c:
            c.request('GET', '/denied/f.txt')
            r1 = c.read_response()
            c.request('GET', '/open/f.txt')
            r2 = c.read_response()
        self.assertEqual((r1.status, r2.status, r2.body), (403, 200, b'in open\n'))

    def test_denial_is_logged(self):
        self.get('/ten/f.txt')
        deadline = time.monotonic() + 5
        wanted = 'client 127.0.0.1 denied by server configuration: %s' % \
            os.path.join(self.server.root, 'ten', 'f.txt')
        while True:
            with open(self.server.error_log, errors='replace') as f:
                if wanted in f.read():
                    break
            if time.monotonic() > deadline:
                self.fail('%r not in the error log\n%s' % (wanted, self.server.logs()))
            time.sleep(0.05)


class ConfigErrorTest(unittest.TestCase):
    """Bad Require lines and sections fail `x0d -t` with FILE:LINE: and a reason."""

    def check(self, bad_lines, message, bad_index):
        srv = Server(with_authz())
        try:
            text = srv.config_text(with_authz(), '')
            start = len(text.split('\n'))
            with open(srv.conf_path, 'w') as f:
                f.write(text + '\n'.join(bad_lines) + '\n')
            line = start + bad_index
            p = run_x0d(['-f', srv.conf_path, '-t'])
            err = p.stderr.decode('utf-8', 'replace')
            self.assertEqual(p.returncode, 1, err)
            self.assertNotIn('Syntax OK', p.stdout.decode() + err)
            self.assertIn('%s:%d: %s' % (srv.conf_path, line, message), err)
        finally:
            srv.cleanup()

    def location(self, body, message, bad_index):
        """@body inside <Location /x>; @bad_index counts from its first line."""
        self.check(['<Location /x>'] + body + ['</Location>'], message, bad_index + 1)

    def test_good_config(self):
        srv = Server(with_authz(), extra='<Location /x>\n<RequireAll>\nRequire all granted\n'
                     'Require not ip 10.1\n</RequireAll>\n</Location>\n')
        try:
            p = run_x0d(['-f', srv.conf_path, '-t'])
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn('Syntax OK', (p.stdout + p.stderr).decode())
        finally:
            srv.cleanup()

    def test_require_at_server_level(self):
        self.check(['Require all granted'], 'Require not allowed', 0)

    def test_negation_outside_require_all(self):
        self.location(['Require not ip 127.0.0.1'],
                      'negative Require directive has no effect in <RequireAny> directive', 0)
        self.location(['<RequireAny>', 'Require ip 10.1', 'Require not ip 127.0.0.1',
                       '</RequireAny>'],
                      'negative Require directive has no effect in <RequireAny> directive', 2)

    def test_require_none_outside_require_all(self):
        self.location(['<RequireNone>', 'Require ip 10.1', '</RequireNone>'],
                      '<RequireNone> directive has no effect in <RequireAny> directive', 0)

    def test_empty_section(self):
        self.location(['<RequireAll>', '</RequireAll>'],
                      '<RequireAll> directive contains no authorization directives', 0)

    def test_only_negative(self):
        self.location(['Require all granted', '<RequireAll>', 'Require not ip 10.1',
                       '</RequireAll>'],
                      '<RequireAll> directive contains only negative authorization directives',
                      1)

    def test_bad_address(self):
        self.location(['Require ip 127.0.0.1 example.com'],
                      "ip address 'example.com' appears to be invalid: not an IP address", 0)
        self.location(['Require ip 10.0.0.0/33'],
                      "ip address '10.0.0.0/33' appears to be invalid: the prefix length "
                      "must be 1 to 32", 0)

    def test_bad_all(self):
        self.location(['Require all maybe'],
                      'Require all takes one argument: granted or denied', 0)

    def test_unknown_provider(self):
        self.location(['Require valid-user'], 'Unknown Authz provider: valid-user', 0)

    def test_section_takes_no_arguments(self):
        self.location(['<RequireAll extra>', 'Require all granted', '</RequireAll>'],
                      '<RequireAll>', 0)

    def test_unclosed_section(self):
        self.location(['<RequireAll>', 'Require all granted', '</RequireAny>'],
                      'Expected </RequireAll> but saw </RequireAny>', 2)


if __name__ == '__main__':
    unittest.main()
