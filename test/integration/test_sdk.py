"""The module SDK from a module author's side: `make install DESTDIR=...`,
then both examples/ built out of tree with nothing but the installed headers,
x0.pc and x0-mod, installed with `x0-mod -i`, loaded with LoadModule into
the x0d under test, and exercised:

- mod_info (C): the JSON facts, compared field by field;
- mod_replace (C++): matches that straddle two buckets of a file and two
  brigades of a streaming handler, a self-overlapping pattern, flow control
  with x0-hello and mod_echo, Content-Length dropped or kept, HEAD, Off;
- a large binary file under ReplaceText still leaves by sendfile (proved
  with strace when it works here, else the sub-check is skipped).
"""

import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import x0test
from x0test import Server, ServerTestCase

STAGE = None        # the DESTDIR x0 is installed into
WORK = None         # where the examples are copied and built
X0MOD = None        # the staged x0-mod
MODULES = {}        # name -> the staged mod_NAME.so


def clean_env(**extra):
    """The environment of a module author: no make jobserver from `make
    check`, no PKG_CONFIG_PATH (x0-mod must find its x0.pc by itself)."""
    env = dict(os.environ)
    for name in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES', 'DESTDIR',
                 'PKG_CONFIG_PATH', 'PKG_CONFIG_SYSROOT_DIR', 'X0_DESTDIR'):
        env.pop(name, None)
    env.update(extra)
    return env


def run(cmd, env=None, cwd=None, check=True, timeout=600):
    p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError('%s: exit %d\n%s\n%s' % (' '.join(cmd), p.returncode,
                                                       p.stdout[-3000:], p.stderr[-3000:]))
    return p


def sdk_env(**extra):
    """x0-mod against the staged installation."""
    return clean_env(X0_DESTDIR=STAGE, **extra)


def x0mod(*args, check=True, cwd=None):
    return run([X0MOD] + list(args), env=sdk_env(), cwd=cwd, check=check)


def setUpModule():
    global STAGE, WORK, X0MOD
    builddir = x0test.builddir()
    if not os.path.exists(os.path.join(builddir, 'Makefile')):
        raise unittest.SkipTest('%s is not a configured build directory' % builddir)
    if not shutil.which('pkg-config'):
        raise unittest.SkipTest('pkg-config is not installed')
    STAGE = tempfile.mkdtemp(prefix='x0test-stage-')
    WORK = tempfile.mkdtemp(prefix='x0test-sdk-')
    run(['make', '-C', builddir, 'install', 'DESTDIR=' + STAGE], env=clean_env())
    found = [os.path.join(root, 'x0-mod') for root, _, files in os.walk(STAGE)
             if 'x0-mod' in files]
    if len(found) != 1:
        raise AssertionError('make install put %d x0-mod in %s' % (len(found), STAGE))
    X0MOD = found[0]
    # Out of tree: a copy of each example, built and installed by its own
    # Makefile with the staged x0-mod.
    for name in ('info', 'replace'):
        src = os.path.join(x0test.srcdir(), 'examples', 'mod_' + name)
        dst = os.path.join(WORK, 'mod_' + name)
        shutil.copytree(src, dst, copy_function=shutil.copyfile)
        os.chmod(dst, 0o755)  # `make distcheck` makes the sources read-only
        for leftover in os.listdir(dst):
            if leftover.endswith(('.so', '.o')):
                os.unlink(os.path.join(dst, leftover))
        run(['make', 'X0_MOD=' + X0MOD], env=sdk_env(), cwd=dst)
        run(['make', 'install', 'X0_MOD=' + X0MOD], env=sdk_env(), cwd=dst)
    moduledir = x0mod('-q', 'moduledir').stdout.strip()
    for name in ('info', 'replace'):
        MODULES[name] = STAGE + os.path.join(moduledir, 'mod_%s.so' % name)


def tearDownModule():
    if not os.environ.get('X0TEST_KEEP'):
        for d in (STAGE, WORK):
            if d:
                shutil.rmtree(d, ignore_errors=True)


def load_lines(*names):
    return x0test.load_module_lines() + ['%s_module %s' % (n, MODULES[n]) for n in names]


def abi_version():
    with open(os.path.join(x0test.srcdir(), 'include', 'x0', 'module.h')) as f:
        text = f.read()
    return tuple(re.search(r'^#define X0_ABI_%s\s+(\d+)' % which, text, re.M).group(1)
                 for which in ('MAJOR', 'MINOR'))


# ---------------------------------------------------------------- x0-mod

class ToolTest(unittest.TestCase):
    """x0-mod and x0.pc as installed."""

    def test_query(self):
        prefix = x0mod('-q', 'prefix').stdout.strip()
        self.assertTrue(prefix.startswith('/'), prefix)
        self.assertEqual(x0mod('-q', 'moduledir').stdout.strip(), prefix + '/modules')
        self.assertEqual((x0mod('-q', 'abi_major').stdout.strip(),
                          x0mod('-q', 'abi_minor').stdout.strip()), abi_version())
        self.assertEqual(x0mod('-q', 'includedir').stdout.strip(), prefix + '/include')

    def test_query_unknown(self):
        p = x0mod('-q', 'no_such_variable', check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(p.stdout, '')
        self.assertIn('x0-mod: x0.pc has no variable no_such_variable', p.stderr)

    def test_usage_errors(self):
        for args in ([], ['-c'], ['-i'], ['-x'], ['-c', 'notes.txt'], ['-q']):
            p = x0mod(*args, check=False)
            self.assertNotEqual(p.returncode, 0, args)
            self.assertEqual(p.stdout, '', args)
            self.assertIn('x0-mod', p.stderr, args)

    def test_cflags_are_the_installed_headers(self):
        """Staged headers, APR's flags, no -std (the headers are C and C++),
        and nothing from the source tree."""
        flags = x0mod('-q', 'cflags').stdout.split()
        prefix = x0mod('-q', 'prefix').stdout.strip()
        self.assertEqual(flags[0], '-I' + STAGE + prefix + '/include')
        self.assertTrue(any(f.startswith('-I') and 'apr' in f for f in flags), flags)
        self.assertFalse([f for f in flags if f.startswith('-std')], flags)
        self.assertNotIn('-I' + os.path.join(x0test.srcdir(), 'include'), flags)
        self.assertTrue(os.path.exists(STAGE + prefix + '/include/x0/module.h'))

    def test_pc_has_no_libs_of_its_own(self):
        pcdir = os.path.dirname(subprocess.run(
            ['find', STAGE, '-name', 'x0.pc'], capture_output=True, text=True).stdout.split()[0])
        env = clean_env(PKG_CONFIG_PATH=pcdir)
        libs = run(['pkg-config', '--libs', 'x0'], env=env).stdout.split()
        self.assertFalse([f for f in libs if 'x0' in f], libs)

    def test_modules_installed_and_export_only_the_module(self):
        for name, path in MODULES.items():
            self.assertTrue(os.path.exists(path), path)
            if not shutil.which('nm'):
                continue
            syms = run(['nm', '-D', '--defined-only', path]).stdout
            self.assertRegex(syms, r'\b[DB] %s_module\n' % name)
            # -fvisibility=hidden: the module's own functions stay inside it
            self.assertNotIn('%s_handler' % name, syms)
            self.assertNotIn('%s_filter' % name, syms)

    def test_compile_error_fails(self):
        d = tempfile.mkdtemp(prefix='x0test-bad-', dir=WORK)
        with open(os.path.join(d, 'bad.c'), 'w') as f:
            f.write('#include <x0/module.h>\nint broken(void) { return nope; }\n')
        p = x0mod('-c', '-o', 'mod_bad.so', 'bad.c', check=False, cwd=d)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('x0-mod: compiling bad.c failed', p.stderr)
        self.assertFalse(os.path.exists(os.path.join(d, 'mod_bad.so')))

    def test_install_name_and_destdir(self):
        """-n NAME installs as mod_NAME.so; DESTDIR moves it, as make does."""
        d = tempfile.mkdtemp(prefix='x0test-dest-', dir=WORK)
        env = dict(sdk_env(), DESTDIR=d)
        p = run([X0MOD, '-i', '-n', 'facts', MODULES['info']], env=env)
        moduledir = x0mod('-q', 'moduledir').stdout.strip()
        target = d + moduledir + '/mod_facts.so'
        self.assertTrue(os.path.exists(target), p.stdout)
        self.assertIn('LoadModule facts_module %s/mod_facts.so' % moduledir, p.stdout)


# ---------------------------------------------------------------- mod_info

class InfoTest(ServerTestCase):
    extra = ('<Location /facts>\n    SetHandler server-facts\n</Location>\n')

    @classmethod
    def setUpClass(cls):
        cls.directives = {'LoadModule': load_lines('info')}
        super().setUpClass()

    HEADERS = [
        ('X-Quote', 'say "hi" \\ back'),
        ('X-Tab', 'a\tb'),
        ('X-Latin1', 'caf\xe9'),        # one byte 0xE9: not UTF-8
        ('X-Utf8', 'caf\xc3\xa9'),      # the bytes C3 A9: UTF-8 for U+00E9
        ('X-Dup', 'one'),
        ('X-Dup', 'two'),
    ]

    def expected(self, conn, target, method='GET', keepalives=1, headers=HEADERS):
        uri, _, args = target.partition('?')
        return {
            'server_name': 'localhost',
            'vhost': {'virtual': False, 'file': self.server.conf_path, 'line': 0},
            'hostname': 'localhost',
            'client_ip': '127.0.0.1',
            'client_port': conn.sock.getsockname()[1],
            'local_ip': '127.0.0.1',
            'local_port': self.port,
            'keepalives': keepalives,
            'method': method,
            'unparsed_uri': target,
            'uri': uri,
            'path': None,  # filled in by the test
            'args': args or None,
            'protocol': 'HTTP/1.1',
            'handler': 'server-facts',
            'headers': [['Host', 'localhost']] + [[n, v] for n, v in headers],
        }

    def test_facts(self):
        target = '/facts/caf%C3%A9/%FF?x=1&y=%22'
        with self.conn() as c:
            c.request('GET', target, headers=self.HEADERS)
            r = c.read_response()
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.header('Content-Type'), 'application/json')
            self.assertEqual(r.framing, 'length')
            self.assertEqual(int(r.header('Content-Length')), len(r.body))
            facts = json.loads(r.body.decode('utf-8'))  # valid UTF-8, valid JSON
            want = self.expected(c, target)
            want['path'] = '/facts/caf\xe9/\xff'
            want['headers'][3] = ['X-Latin1', 'caf\xe9']   # \u00e9 from the byte E9
            want['headers'][4] = ['X-Utf8', 'caf\xe9']     # é, copied as UTF-8
            self.assertEqual(facts, want)
            # the escapes as written
            self.assertIn(rb'"say \"hi\" \\ back"', r.body)
            self.assertIn(rb'"a\tb"', r.body)
            self.assertIn(rb'"caf\u00e9"', r.body)
            self.assertIn('"caf\xe9"'.encode('utf-8'), r.body)
            self.assertIn(rb'"/facts/caf' + '\xe9'.encode('utf-8') + rb'/\u00ff"', r.body)

            # the same connection again: keep-alive, no query string
            c.request('GET', '/facts', headers=[('Accept', '*/*')])
            r = c.read_response()
            facts = json.loads(r.body)
            want = self.expected(c, '/facts', keepalives=2, headers=[('Accept', '*/*')])
            want['path'] = '/facts'
            self.assertEqual(facts, want)
            self.assertIsNone(facts['args'])

    def test_head_has_the_length_get_would_have(self):
        with self.conn() as c:
            c.request('HEAD', '/facts')
            head = c.read_response('HEAD')
            c.request('GET', '/facts')
            get = c.read_response()
        self.assertEqual(head.status, 200)
        self.assertEqual(head.body, b'')
        # "HEAD" is one byte longer than "GET"; keepalives 1 and 2 are as long
        self.assertEqual(int(head.header('Content-Length')), len(get.body) + 1)

    def test_other_methods(self):
        r = self.get('/facts', method='POST', headers=[('Content-Length', '0')])
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header('Allow'), 'GET, HEAD')

    def test_declines_elsewhere(self):
        self.assertEqual(self.get('/not-facts').status, 404)


# ---------------------------------------------------------------- mod_replace

NEEDLE = b'NEEDLE'
PIN = b'pin'
# The static handler sends a file bucket, and reading a file bucket yields
# APR_BUCKET_BUFF_SIZE (8000) bytes at a time: one read per bucket.
READ = 8000


def straddling_text():
    """A NEEDLE across each read boundary, split at every place; a near
    miss and a false start at a boundary; a NEEDLE and a partial one at the
    very end (the carry at EOS)."""
    text = bytearray(b'.' * (READ * 9))
    for k in range(1, 6):                       # split k : 6 - k
        at = READ * k - k
        text[at:at + 6] = NEEDLE
    text[READ * 6 - 5:READ * 6 + 1] = b'NEEDLx'  # near miss, carried then let go
    text[READ * 7 - 3:READ * 7 + 4] = b'NNEEDLE'  # a false start just before
    text[READ * 8 - 1:READ * 8 + 5] = b'NEEDLE'
    return bytes(text) + b'tail NEEDLE NEED'


def random_text(alphabet, size, seed):
    rnd = random.Random(seed)
    return bytes(rnd.choice(alphabet) for _ in range(size))


def hello_body(n):
    return ''.join('hello, world %d\n' % i for i in range(1, n + 1)).encode()


class ReplaceTest(ServerTestCase):
    extra = ('<Location /hello>\n    ReplaceText "\\nhello, world" "|"\n</Location>\n'
             '<Location /text>\n    ReplaceText NEEDLE pin\n</Location>\n'
             '<Location /text/off>\n    ReplaceText Off\n</Location>\n'
             '<Location /same>\n    ReplaceText NEEDLE PINPIN\n</Location>\n'
             '<Location /overlap>\n    ReplaceText abab X\n</Location>\n'
             '<Location /echo>\n    SetHandler echo\n    ReplaceText NEEDLE pin\n</Location>\n'
             '<Location /twice>\n    SetOutputFilter REPLACE\n'
             '    ReplaceText NEEDLE NEEDLENEEDLE\n</Location>\n'
             '<Location /unset>\n    SetOutputFilter REPLACE\n</Location>\n')
    files = {
        'text/straddle.txt': straddling_text(),
        'text/random.txt': random_text(b'NEDL', 200000, 1),
        'text/off/straddle.txt': straddling_text(),
        'same/straddle.txt': straddling_text(),
        'overlap/ab.txt': random_text(b'ab', 100000, 2),
        'text/data.bin': b'NEEDLE in a binary file\n' * 1000,
        'twice/a.txt': b'a NEEDLE b\n',
        'unset/a.txt': b'a NEEDLE b\n',
    }

    @classmethod
    def setUpClass(cls):
        cls.directives = {'LoadModule': load_lines('replace')}
        super().setUpClass()

    def assert_replaced(self, path, original, new=PIN, framing='chunked'):
        r = self.get(path)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.framing, framing, r)
        expected = original.replace(NEEDLE, new)
        self.assertEqual(len(r.body), len(expected))
        self.assertTrue(r.body == expected, 'body differs from the expected replacement')
        return r

    def test_file_straddling_reads(self):
        r = self.assert_replaced('/text/straddle.txt', straddling_text())
        self.assertIsNone(r.header('Content-Length'))
        self.assertIsNone(r.header('Accept-Ranges'))
        self.assertEqual(r.body.count(PIN), 8)
        self.assertTrue(r.body.endswith(b'tail pin NEED'))

    def test_file_with_many_near_misses(self):
        self.assert_replaced('/text/random.txt', self.files['text/random.txt'])

    def test_self_overlapping_pattern(self):
        """Leftmost, non-overlapping matches, across reads too."""
        r = self.get('/overlap/ab.txt')
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, self.files['overlap/ab.txt'].replace(b'abab', b'X'))

    def test_same_length_keeps_content_length(self):
        original = straddling_text()
        r = self.assert_replaced('/same/straddle.txt', original, new=b'PINPIN', framing='length')
        self.assertEqual(r.header('Content-Length'), str(len(original)))

    def test_head(self):
        r = self.get('/text/straddle.txt', method='HEAD')
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.header('Content-Length'))  # GET has none either
        self.assertIsNone(r.header('Accept-Ranges'))

    def test_off_in_inner_scope(self):
        r = self.get('/text/off/straddle.txt')
        self.assertEqual(r.body, straddling_text())
        self.assertEqual(r.header('Content-Length'), str(len(straddling_text())))

    def test_not_text_is_untouched(self):
        r = self.get('/text/data.bin')
        self.assertEqual(r.framing, 'length')
        self.assertEqual(r.body, self.files['text/data.bin'])

    def test_set_output_filter_adds_it_once(self):
        """SetOutputFilter REPLACE with ReplaceText: the insert_filter hook
        sees it in the chain and does not add a second one."""
        r = self.get('/twice/a.txt')
        self.assertEqual(r.body, b'a NEEDLENEEDLE b\n')

    def test_set_output_filter_without_text(self):
        r = self.get('/unset/a.txt')
        self.assertEqual((r.body, r.framing), (b'a NEEDLE b\n', 'length'))

    def test_hello_straddling_brigades(self):
        """x0-hello passes each line in a brigade of its own: every match
        (the newline and the next line's start) spans two brigades."""
        r = self.get('/hello?n=50')
        self.assertEqual(r.status, 200)
        self.assertEqual(r.framing, 'chunked')
        self.assertEqual(r.body, hello_body(50).replace(b'\nhello, world', b'|'))

    def test_hello_flow_control(self):
        """Enough lines for the core to answer X0_FLOW_STOP: the filter
        hands the status to x0-hello, which suspends and resumes."""
        n = 300000
        with self.conn(timeout=60) as c:
            c.request('GET', '/hello?n=%d' % n)
            r = c.read_response()
        self.assertEqual(r.body, hello_body(n).replace(b'\nhello, world', b'|'))

    def test_echo_flow_control(self):
        """mod_echo passes 64 KiB brigades without EOS: told to stop in the
        middle of one, the filter sets the rest aside and goes on from it
        when mod_echo resumes."""
        body = random_text(b'NEDL.', 1 << 20, 3) * 4
        with self.conn(timeout=60) as c:
            c.request('POST', '/echo', body=body,
                      headers=[('Content-Type', 'text/plain'),
                               ('Content-Length', str(len(body)))])
            r = c.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.framing, 'chunked')
        self.assertTrue(r.body == body.replace(NEEDLE, PIN), 'echoed body differs')


# ---------------------------------------------------------------- sendfile

BIG = 8 << 20


def strace_works():
    """None if strace can trace sendfile here, else why not."""
    if x0test.WRAPPER:
        return 'x0d runs under X0_WRAPPER'
    if x0test.sanitized_binary():
        return 'LeakSanitizer does not work under ptrace (x0d is built with ASan)'
    if not shutil.which('strace'):
        return 'strace is not installed'
    p = subprocess.run(['strace', '-f', '-qq', '-e', 'trace=sendfile', '-o', os.devnull,
                        'true'], capture_output=True, timeout=30)
    if p.returncode != 0:
        return 'strace does not work here: %s' % p.stderr.decode(errors='replace').strip()
    return None


class StracedServer(Server):
    """x0d under `strace -f -e trace=sendfile`."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.strace_log = os.path.join(self.dir, 'strace.log')

    def command(self):
        return ['strace', '-f', '-qq', '-e', 'trace=sendfile', '-o', self.strace_log] \
            + super().command()

    def stop(self, expect_exited=False):
        # SIGTERM goes to x0d itself; strace then exits with its status.
        if self.proc is not None and not self.stopped and self.proc.poll() is None:
            for pid in x0test.children_of(self.proc.pid):
                os.kill(pid, signal.SIGTERM)
            try:
                self.proc.wait(x0test.STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
            expect_exited = True
        return super().stop(expect_exited)

    def sendfile_bytes(self):
        total = 0
        with open(self.strace_log) as f:
            for line in f:
                m = re.search(r'sendfile\(.*\)\s+=\s+(\d+)', line)
                if m:
                    total += int(m.group(1))
        return total


class SendfileTest(ServerTestCase):
    """A binary file where ReplaceText is configured: the filter removes
    itself without touching the buckets, and the file leaves by sendfile
    with its Content-Length."""
    extra = '<Location /files>\n    ReplaceText NEEDLE pin\n</Location>\n'

    @classmethod
    def setUpClass(cls):
        cls.directives = {'LoadModule': load_lines('replace')}
        cls.why_not = strace_works()
        if cls.why_not:
            print('SKIP (sendfile sub-check): %s; checking bytes and framing only'
                  % cls.why_not)
        else:
            cls.server_class = StracedServer
        super().setUpClass()

    @classmethod
    def prepare(cls, server):
        data = bytearray(random.Random(4).randbytes(BIG))
        for at in range(0, BIG, 1 << 20):
            data[at:at + 6] = NEEDLE
        cls.big = bytes(data)
        server.write('files/big.bin', cls.big)
        server.write('files/small.txt', b'a NEEDLE\n' * 1000)

    def sendfile_bytes(self, before):
        """Bytes sendfile() sent since @before, waiting for strace to write."""
        deadline = time.monotonic() + 5
        while True:
            n = self.server.sendfile_bytes() - before
            if n >= BIG - (64 << 10) or time.monotonic() > deadline:
                return n
            time.sleep(0.05)

    def test_binary_leaves_by_sendfile(self):
        before = 0 if self.why_not else self.server.sendfile_bytes()
        with self.conn(timeout=60) as c:
            c.request('GET', '/files/big.bin')
            r = c.read_response()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.framing, 'length')
        self.assertEqual(r.header('Content-Length'), str(BIG))
        self.assertIsNone(r.header('Transfer-Encoding'))
        self.assertTrue(r.body == self.big, 'the binary file came back changed')
        if self.why_not:
            return
        # core_output may copy a few hundred bytes where a send budget ends;
        # everything else goes by sendfile.
        sent = self.sendfile_bytes(before)
        self.assertGreaterEqual(sent, BIG - (64 << 10),
                                'only %d of %d bytes left by sendfile' % (sent, BIG))

    def test_text_is_filtered_not_sendfiled(self):
        """The control: the same location, a text file, no sendfile."""
        before = 0 if self.why_not else self.server.sendfile_bytes()
        r = self.get('/files/small.txt')
        self.assertEqual(r.body, b'a pin\n' * 1000)
        self.assertEqual(r.framing, 'chunked')
        if not self.why_not:
            time.sleep(0.2)
            self.assertEqual(self.server.sendfile_bytes() - before, 0)


if __name__ == '__main__':
    unittest.main()
