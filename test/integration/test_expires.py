"""mod_expires: ExpiresActive, ExpiresByType (exact, with parameters,
wildcards, access and modification bases, A/M short forms), ExpiresDefault,
per-<Location> merging, which responses get Expires, and config errors."""

import email.utils
import os
import unittest

import x0test
from x0test import Server, ServerTestCase, run_x0d

MODULES = tuple(dict.fromkeys(x0test.SHIPPED_MODULES + ('expires',)))
MTIME = 1577934245            # Thu, 02 Jan 2020 03:04:05 GMT
YEAR = 365 * 86400
TEXT = b'some text\n'

CONFIG = '''
AddType text/css .css
AddType image/png .png
AddType text/x-old .old
ExpiresActive On
ExpiresByType text/plain A3600
ExpiresByType text/html "access plus 1 month 2 days"
ExpiresByType image/* "now plus 2 hours 3 minutes"
ExpiresByType text/css "modification plus 20 years"
ExpiresByType text/x-old "modification plus 1 hour"
ExpiresDefault "access plus 10 minutes"
<Location /off>
    ExpiresActive Off
</Location>
<Location /inner>
    ExpiresByType text/plain "access plus 1 day"
</Location>
<Location /hello-mod>
    SetHandler x0-hello
    ExpiresByType text/plain M60
</Location>
'''


def seconds(date):
    return int(email.utils.parsedate_to_datetime(date).timestamp())


class ExpiresCase(ServerTestCase):
    directives = {'LoadModule': x0test.load_module_lines(MODULES)}

    def expires_in(self, path, max_age, **kw):
        """GET @path: Cache-Control is exactly max-age=@max_age and Expires is
        Date + @max_age. Date is written a moment after the request time
        Expires counts from, so across a second boundary it is one second
        later: ask again until both fall in the same second."""
        for _ in range(5):
            r = self.get(path, **kw)
            self.assertIn(r.status, (200, 304), repr(r))
            self.assertEqual(r.header_list('Cache-Control'), ['max-age=%d' % max_age], repr(r))
            self.assertEqual(len(r.header_list('Expires')), 1, repr(r))
            delta = seconds(r.header('Expires')) - seconds(r.header('Date'))
            self.assertIn(delta, (max_age - 1, max_age), repr(r))
            if delta == max_age:
                return r
        self.fail('Expires never equal to Date + %d on %s' % (max_age, path))

    def no_expiry(self, path, status=200, **kw):
        r = self.get(path, **kw)
        self.assertEqual(r.status, status, repr(r))
        self.assertFalse(r.has('Expires'), repr(r))
        self.assertFalse(r.has('Cache-Control'), repr(r))
        return r


class ExpiresTest(ExpiresCase):
    extra = CONFIG
    files = {name: TEXT for name in (
        'file.txt', 'page.html', 'image.png', 'style.css', 'stale.old', 'data.bin',
        'off/file.txt', 'inner/file.txt', 'inner/data.bin')}

    @classmethod
    def prepare(cls, server):
        for name in ('style.css', 'stale.old'):
            os.utime(server.path(name), (MTIME, MTIME))

    def test_by_type_short_form(self):
        r = self.expires_in('/file.txt', 3600)
        self.assertEqual(r.body, TEXT)

    def test_not_modified_gets_its_types_lifetime(self):
        # RFC 9110 section 15.4.5: the 304 carries what its 200 would.
        etag = self.expires_in('/file.txt', 3600).header('ETag')
        r = self.expires_in('/file.txt', 3600, headers={'If-None-Match': etag})
        self.assertEqual(r.status, 304, repr(r))
        self.assertFalse(r.has('Content-Type'), repr(r))

    def test_by_type_long_form(self):
        self.expires_in('/page.html', 32 * 86400)

    def test_wildcard(self):
        self.expires_in('/image.png', 2 * 3600 + 3 * 60)

    def test_default(self):
        # application/octet-stream has no rule of its own.
        self.expires_in('/data.bin', 600)

    def test_head(self):
        r = self.expires_in('/file.txt', 3600, method='HEAD')
        self.assertEqual(r.body, b'')

    def test_type_with_parameters(self):
        # x0-hello answers text/plain; charset=utf-8, and has no file.
        r = self.expires_in('/hello', 3600)
        self.assertEqual(r.header('Content-Type'), 'text/plain; charset=utf-8')
        self.assertEqual(r.framing, 'chunked')

    def test_modification(self):
        r = self.get('/style.css')
        self.assertEqual(r.status, 200, repr(r))
        expires = MTIME + 20 * YEAR
        self.assertEqual(r.header_list('Expires'), [x0test.http_date(expires)], repr(r))
        max_age = int(r.header('Cache-Control').split('=', 1)[1])
        self.assertEqual(r.header('Cache-Control'), 'max-age=%d' % max_age)
        # Counted from the request time, a moment before Date.
        self.assertIn(expires - seconds(r.header('Date')) - max_age, (0, 1), repr(r))

    def test_modification_in_the_past(self):
        # mtime + 1 hour is long gone: expires now, as httpd.
        r = self.get('/stale.old')
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(r.header_list('Cache-Control'), ['max-age=0'], repr(r))
        self.assertIn(seconds(r.header('Date')) - seconds(r.header('Expires')), (0, 1))

    def test_modification_without_file(self):
        # httpd: nothing to base it on, nothing set (and no fallback).
        r = self.no_expiry('/hello-mod')
        self.assertTrue(r.body.startswith(b'hello, world 1\n'))

    def test_active_off(self):
        r = self.no_expiry('/off/file.txt')
        self.assertEqual(r.body, TEXT)

    def test_location_overrides_type(self):
        self.expires_in('/inner/file.txt', 86400)
        # The outer default still holds there.
        self.expires_in('/inner/data.bin', 600)

    def test_not_on_errors(self):
        self.no_expiry('/missing.txt', status=404)
        self.no_expiry('/file.txt', status=405, method='DELETE')
        self.no_expiry('/off', status=301)


class ExpiresDefaultOnlyTest(ExpiresCase):
    """Without ExpiresByType, a 304 gets the lifetime its 200 had
    (RFC 9110 section 15.4.5)."""
    extra = 'ExpiresActive On\nExpiresDefault A120\n'
    files = {'file.txt': TEXT}

    def test_not_modified(self):
        etag = self.expires_in('/file.txt', 120).header('ETag')
        r = self.expires_in('/file.txt', 120, headers={'If-None-Match': etag})
        self.assertEqual(r.status, 304, repr(r))


class ExpiresInactiveTest(ExpiresCase):
    """Rules without ExpiresActive On do nothing (httpd's default)."""
    extra = 'ExpiresByType text/plain A3600\nExpiresDefault A60\n'
    files = {'file.txt': TEXT}

    def test_inactive(self):
        self.no_expiry('/file.txt')


class ExpiresThenHeadersTest(ExpiresCase):
    """EXPIRES runs before HEADERS, as in httpd: Header sees and edits what
    mod_expires set."""
    directives = {'LoadModule': x0test.load_module_lines(
        tuple(dict.fromkeys(MODULES + ('headers',))))}
    extra = ('ExpiresActive On\nExpiresDefault A300\n'
             'Header append Cache-Control public\n'
             '<Location /noexp>\n    Header unset Expires\n</Location>\n')
    files = {'file.txt': TEXT, 'noexp/file.txt': TEXT}

    def test_order(self):
        r = self.get('/file.txt')
        self.assertEqual(r.header_list('Cache-Control'), ['max-age=300, public'], repr(r))
        r = self.get('/noexp/file.txt')
        self.assertFalse(r.has('Expires'), repr(r))
        self.assertEqual(r.header_list('Cache-Control'), ['max-age=300, public'], repr(r))


class ExpiresConfigErrorTest(unittest.TestCase):
    """A bad Expires line stops x0d -t with FILE:LINE: and a non-zero exit."""

    def setUp(self):
        self.srv = Server({'LoadModule': x0test.load_module_lines(MODULES)})

    def tearDown(self):
        self.srv.cleanup()

    def check(self, line, message):
        text = self.srv.config_text({'LoadModule': x0test.load_module_lines(MODULES)},
                                    '<Location /x>\n    %s\n</Location>\n' % line)
        with open(self.srv.conf_path, 'w') as f:
            f.write(text)
        number = text.split('\n').index('    ' + line) + 1
        p = run_x0d(['-f', self.srv.conf_path, '-t'])
        err = p.stderr.decode('utf-8', 'replace')
        self.assertNotEqual(p.returncode, 0, '%r accepted: %s' % (line, err))
        self.assertIn('%s:%d:' % (self.srv.conf_path, number), err)
        self.assertIn(message, err)
        self.assertNotIn('Syntax OK', err + p.stdout.decode('utf-8', 'replace'))

    def test_good_config(self):
        with open(self.srv.conf_path, 'a') as f:
            f.write(CONFIG)
        p = run_x0d(['-f', self.srv.conf_path, '-t'])
        out = (p.stdout + p.stderr).decode('utf-8', 'replace')
        self.assertEqual(p.returncode, 0, out)
        self.assertIn('Syntax OK', out)

    def test_bad_unit(self):
        self.check('ExpiresByType text/plain "access plus 1 dozen"',
                   "unrecognised <type> 'dozen'")

    def test_bad_base(self):
        self.check('ExpiresDefault "later plus 1 day"', "unrecognised <base> 'later'")

    def test_missing_number(self):
        self.check('ExpiresDefault "access plus day"', 'numeric value expected')

    def test_bad_type(self):
        self.check('ExpiresByType html A60', 'should contain a slash')

    def test_bad_flag(self):
        self.check('ExpiresActive maybe', 'ExpiresActive')

    def test_unquoted_code(self):
        # httpd takes the code as one argument: it must be quoted.
        self.check('ExpiresDefault access plus 1 day', 'ExpiresDefault')


if __name__ == '__main__':
    unittest.main()
