"""The installation from an administrator's side: `make install
DESTDIR=...` into a temporary directory (as test_sdk.py does), then

- every file is where it belongs: x0d, x0-mod, the headers, x0.pc, the
  modules its x0d.conf loads, conf/ (x0d.conf, mime.types, the sample TLS
  certificate), htdocs/, an empty logs/, the man pages x0d(8) and
  x0d.conf(5), the systemd unit and the logrotate snippet;
- the generated files name the configured directories and no @placeholder@;
  the man pages format without a warning (groff -ww), the unit passes
  `systemd-analyze verify` (when installed; no service is started), the
  logrotate snippet's script passes `sh -n`;
- the installed x0d checks its installed configuration (`x0d -t`), lists
  its modules (`x0d -M`), and serves with it, its Listen lines moved to free
  loopback ports: a page over HTTP and HTTPS, the x0-hello handler.

`make installcheck` runs this file against the real installation instead
(X0_INSTALLED=DESTDIR+prefix, with X0_UNITDIR, X0_LOGROTATEDIR and
X0_MANDIR): nothing is installed, and the installed configuration is read
but never changed (a copy with other ports is served).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import x0test

STAGE = None        # the DESTDIR of `make install`, or None for installcheck
ROOT = None         # where the installation is on this machine (DESTDIR + prefix)
PREFIX = None       # the configured prefix: what the installed files name
UNIT = None         # the installed x0d.service, or None when not installed
LOGROTATE = None    # the installed logrotate snippet, or None
MANDIR = None
WORK = None         # scratch space: a copy of the config, the pid file


def clean_env(**extra):
    """No make jobserver or DESTDIR from `make check` (as test_sdk.py)."""
    env = dict(os.environ)
    for name in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES', 'DESTDIR'):
        env.pop(name, None)
    env.update(extra)
    return env


def run(cmd, env=None, cwd=None, check=True, timeout=300):
    p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise AssertionError('%s: exit %d\n%s\n%s' % (' '.join(cmd), p.returncode,
                                                       p.stdout[-3000:], p.stderr[-3000:]))
    return p


def find(top, name, under=None):
    """The files called @name below @top (in a directory called @under)."""
    return sorted(os.path.join(d, name) for d, _, files in os.walk(top)
                  if name in files and (under is None or os.path.basename(d) == under))


def the_one(top, name, under=None):
    found = find(top, name, under)
    if len(found) != 1:
        raise AssertionError('make install put %d %s in %s: %s' % (len(found), name, top, found))
    return found[0]


def setUpModule():
    global STAGE, ROOT, PREFIX, UNIT, LOGROTATE, MANDIR, WORK
    WORK = tempfile.mkdtemp(prefix='x0test-install-')
    os.chmod(WORK, 0o755)   # workers that drop privileges read the copy
    installed = os.environ.get('X0_INSTALLED')
    if installed:
        ROOT = os.path.abspath(installed)
        destdir = os.environ.get('DESTDIR', '')
        PREFIX = ROOT[len(destdir):] if destdir and ROOT.startswith(destdir) else ROOT
        unitdir = os.environ.get('X0_UNITDIR', '')
        rotatedir = os.environ.get('X0_LOGROTATEDIR', '')
        # empty: configured with "no", not installed
        UNIT = os.path.join(unitdir.strip(), 'x0d.service') if unitdir.strip() else None
        LOGROTATE = os.path.join(rotatedir.strip(), 'x0d') if rotatedir.strip() else None
        MANDIR = os.environ.get('X0_MANDIR') or os.path.join(ROOT, 'share', 'man')
        return
    builddir = x0test.builddir()
    if not os.path.exists(os.path.join(builddir, 'Makefile')):
        raise unittest.SkipTest('%s is not a configured build directory' % builddir)
    STAGE = tempfile.mkdtemp(prefix='x0test-stage-')
    os.chmod(STAGE, 0o755)  # as a real prefix: workers that drop privileges read htdocs
    run(['make', '-C', builddir, 'install', 'DESTDIR=' + STAGE], env=clean_env())
    ROOT = os.path.dirname(os.path.dirname(the_one(STAGE, 'x0d', 'sbin')))
    PREFIX = ROOT[len(STAGE):]
    # Where configure put them (--with-systemdsystemunitdir, --with-logrotatedir):
    # found by name; test_files checks where.
    units = find(STAGE, 'x0d.service')
    UNIT = units[0] if units else None
    rotates = find(STAGE, 'x0d', 'logrotate.d')
    LOGROTATE = rotates[0] if rotates else None
    MANDIR = os.path.dirname(os.path.dirname(the_one(STAGE, 'x0d.8', 'man8')))


def tearDownModule():
    if not os.environ.get('X0TEST_KEEP'):
        for d in (STAGE, WORK):
            if d:
                shutil.rmtree(d, ignore_errors=True)


def at(rel):
    return os.path.join(ROOT, rel)


def configured_dir(var):
    """A directory variable of the build's Makefile (systemdsystemunitdir,
    logrotatedir), expanded as make would; None under installcheck, where
    the environment says where they went."""
    if STAGE is None:
        return None
    values = {}
    with open(os.path.join(x0test.builddir(), 'Makefile')) as f:
        for line in f:
            m = re.match(r'^(\w+)\s*=\s*(.*?)\s*$', line)
            if m:
                values[m.group(1)] = m.group(2)

    def expand(text, depth=0):
        if depth > 10:
            raise AssertionError('cannot expand %s in the Makefile' % var)
        return re.sub(r'\$[({](\w+)[)}]',
                      lambda m: expand(values.get(m.group(1), ''), depth + 1), text)
    return expand(values[var]) if var in values else None


def x0d(*args, timeout=30):
    return run([at('sbin/x0d')] + list(args), check=False, timeout=timeout)


# What ServeTest appends to the configuration it serves.
TEST_MARK = '\n# test_install.py\n'


def installed_conf():
    with open(at('conf/x0d.conf')) as f:
        return f.read()


def load_module_names(conf):
    return re.findall(r'^\s*LoadModule\s+(\w+)_module\s+(\S+)', conf, re.M)


# ---------------------------------------------------------------- files

class FilesTest(unittest.TestCase):

    def assert_file(self, path, executable=False):
        self.assertTrue(os.path.isfile(path), '%s is not installed' % path)
        if executable:
            self.assertTrue(os.access(path, os.X_OK), '%s is not executable' % path)

    def test_programs(self):
        self.assert_file(at('sbin/x0d'), executable=True)
        self.assert_file(at('bin/x0-mod'), executable=True)
        p = x0d('-v')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r'^x0d version x0/\S+')

    def test_module_api(self):
        for h in ('types.h', 'log.h', 'module.h', 'filter.h', 'http.h'):
            self.assert_file(at('include/x0/' + h))
        pcs = find(ROOT, 'x0.pc', 'pkgconfig')
        self.assertEqual(len(pcs), 1, pcs)
        with open(pcs[0]) as f:
            self.assertIn('prefix=%s\n' % PREFIX, f.read())

    def test_conf_htdocs_logs(self):
        for rel in ('conf/x0d.conf', 'conf/mime.types', 'htdocs/index.html'):
            self.assert_file(at(rel))
        self.assertTrue(os.path.isdir(at('logs')), 'make install made no logs/')
        if shutil.which('openssl'):
            self.assert_file(at('conf/ssl/localhost.crt'))
            self.assert_file(at('conf/ssl/localhost.key'))
            self.assertEqual(os.stat(at('conf/ssl/localhost.key')).st_mode & 0o077, 0,
                             'the private key is readable by others')

    def test_conf_is_commented(self):
        """The shipped configuration explains itself: comments above the
        directives, and its logs (when it names any) under logs/."""
        conf = installed_conf().partition(TEST_MARK)[0]
        comments = [l for l in conf.splitlines() if l.lstrip().startswith('#')]
        self.assertGreater(len(comments), 30)
        for m in re.finditer(r'^\s*(ErrorLog|CustomLog|PidFile)\s+"?([^\s"]+)', conf, re.M):
            if not m.group(2).startswith('|'):
                self.assertTrue(m.group(2).startswith('logs/'), m.group(0))

    def test_modules_of_the_conf(self):
        """Every module the installed x0d.conf loads is there: built into
        x0d (x0d -M says static) or installed as the .so the line names."""
        p = x0d('-d', ROOT, '-M')
        self.assertEqual(p.returncode, 0, p.stderr)
        listed = dict(re.findall(r'^ (\w+)_module \((static|shared)\)$', p.stdout, re.M))
        names = load_module_names(installed_conf())
        self.assertTrue(names, 'the installed x0d.conf loads no module')
        for name, path in names:
            self.assertIn(name, listed, p.stdout)
            if listed[name] == 'shared':
                self.assert_file(at(path))
                self.assertTrue(path.startswith('modules/'), path)

    def test_man_pages(self):
        pages = {'x0d.8': os.path.join(MANDIR, 'man8', 'x0d.8'),
                 'x0d.conf.5': os.path.join(MANDIR, 'man5', 'x0d.conf.5')}
        for name, path in pages.items():
            self.assert_file(path)
            with open(path) as f:
                text = f.read()
            self.assertIsNone(re.search(r'@\w+@', text), '%s: a placeholder is left' % name)
            self.assertIn(PREFIX + '/conf/x0d.conf', text, name)
            self.assertIn('.SH NAME\n', text)
            if shutil.which('groff'):
                p = run(['groff', '-man', '-Tutf8', '-ww', '-z', path], check=False)
                self.assertEqual((p.returncode, p.stderr), (0, ''), name)
                # A long prefix (make distcheck's) must not leave a line
                # that groff cannot fill either.
                deep = os.path.join(WORK, name)
                with open(deep, 'w') as f:
                    f.write(text.replace(PREFIX, '/srv/' + 'deep/' * 8 + 'x0'))
                p = run(['groff', '-man', '-Tutf8', '-ww', '-z', deep], check=False)
                self.assertEqual((p.returncode, p.stderr), (0, ''), name + ' (long prefix)')
            if shutil.which('man'):
                p = run(['man', '-l', path], env=clean_env(MANWIDTH='80', MANPAGER='cat',
                                                           PAGER='cat'), check=False)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn('NAME', p.stdout)

    def test_man_pages_document_the_directives(self):
        """x0d.conf(5) names every directive of the directive tables."""
        with open(os.path.join(MANDIR, 'man5', 'x0d.conf.5')) as f:
            page = f.read()
        src = x0test.srcdir()
        tables = [os.path.join(src, 'src', 'core_config.cc')]
        for d, _, files in os.walk(os.path.join(src, 'modules')):
            tables += [os.path.join(d, n) for n in files if n.endswith('.cc')]
        missing = []
        seen = 0
        for path in tables:
            with open(path) as f:
                text = f.read()
            for table in re.findall(r'x0_directive_t \w+\[\] = \{(.*?)\n\};', text, re.S):
                for name in re.findall(r'^\s*\{"(\w+)"', table, re.M):
                    seen += 1
                    if not re.search(r'\b%s\b' % name, page):
                        missing.append('%s (%s)' % (name, os.path.relpath(path, src)))
        self.assertGreater(seen, 60, 'the directive tables were not found')
        self.assertEqual(missing, [], 'x0d.conf(5) does not document these')

    def test_unit(self):
        if UNIT is None:
            self.skipTest('configured --with-systemdsystemunitdir=no')
        self.assert_file(UNIT)
        want = configured_dir('systemdsystemunitdir')
        if want:
            self.assertEqual(os.path.dirname(UNIT), STAGE + want)
        with open(UNIT) as f:
            unit = f.read()
        self.assertIsNone(re.search(r'@\w+@', unit))
        sbin = PREFIX + '/sbin/x0d'
        for line in ('Type=notify', 'ExecStart=%s -D FOREGROUND' % sbin,
                     'ExecReload=%s -k graceful' % sbin, 'KillSignal=SIGWINCH',
                     'PIDFile=%s/logs/x0d.pid' % PREFIX, 'WantedBy=multi-user.target'):
            self.assertRegex(unit, r'(?m)^%s$' % re.escape(line))

    def test_unit_verifies(self):
        """systemd-analyze verify, on a copy whose paths point into the
        staging directory (it checks that ExecStart's program exists);
        warnings count as failures. Nothing is started."""
        if UNIT is None:
            self.skipTest('configured --with-systemdsystemunitdir=no')
        if not shutil.which('systemd-analyze'):
            self.skipTest('systemd-analyze is not installed')
        with open(UNIT) as f:
            unit = f.read()
        if STAGE:
            unit = re.sub(r'(?m)^(Exec\w+=|PIDFile=)%s/' % re.escape(PREFIX),
                          r'\g<1>%s/' % ROOT.replace('\\', '\\\\'), unit)
        copy = os.path.join(WORK, 'unit', 'x0d.service')
        os.makedirs(os.path.dirname(copy), exist_ok=True)
        with open(copy, 'w') as f:
            f.write(unit)
        # Documentation=man:x0d(8) is looked up with man(1): in MANDIR.
        env = clean_env(MANPATH=MANDIR, SYSTEMD_LOG_COLOR='0')
        p = run(['systemd-analyze', 'verify', copy], env=env, check=False, timeout=60)
        if p.returncode != 0 and 'Failed to' in p.stderr and 'x0d.service' not in p.stderr:
            self.skipTest('systemd-analyze does not work here: %s' % p.stderr.strip())
        self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ''))

    def test_logrotate(self):
        if LOGROTATE is None:
            self.skipTest('configured --with-logrotatedir=no')
        self.assert_file(LOGROTATE)
        want = configured_dir('logrotatedir')
        if want:
            self.assertEqual(os.path.dirname(LOGROTATE), STAGE + want)
        with open(LOGROTATE) as f:
            text = f.read()
        self.assertIsNone(re.search(r'@\w+@', text))
        self.assertRegex(text, r'(?m)^%s/logs/\*\.log \{$' % re.escape(PREFIX))
        script = re.search(r'^\s*postrotate\n(.*?)^\s*endscript$', text, re.S | re.M)
        self.assertIsNotNone(script, 'no postrotate script')
        self.assertIn('%s/sbin/x0d -k graceful' % PREFIX, script.group(1))
        p = run(['sh', '-n', '-c', script.group(1)], check=False)
        self.assertEqual((p.returncode, p.stderr), (0, ''))
        if shutil.which('logrotate'):
            # -d: read and report, touch nothing
            state = os.path.join(WORK, 'logrotate.state')
            p = run(['logrotate', '-d', '-s', state, LOGROTATE], check=False)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertNotIn('error', p.stderr.lower())


# ---------------------------------------------------------------- serving

def free_port():
    return x0test.free_port()


class ServeTest(unittest.TestCase):
    """The installed x0d with the installed configuration, on free ports."""

    @classmethod
    def setUpClass(cls):
        cls.http = free_port()
        cls.https = free_port()
        while cls.https == cls.http:
            cls.https = free_port()
        conf = installed_conf()
        listens = re.findall(r'^Listen\s+(\S+)(.*)$', conf, re.M)
        if [l for l, _ in listens] != ['127.0.0.1:8080', '127.0.0.1:8443']:
            raise AssertionError('the installed x0d.conf listens on %s, not on '
                                 '127.0.0.1:8080 and :8443 as this test expects' % listens)
        moved = (conf.replace('127.0.0.1:8080', '127.0.0.1:%d' % cls.http)
                     .replace('127.0.0.1:8443', '127.0.0.1:%d' % cls.https))
        extra = ''
        if os.geteuid() == 0 and not re.search(r'^\s*User\s', conf, re.M):
            # As root, x0d serves only with a User: the shipped configuration
            # leaves it to the administrator (a commented example).
            print('NOTE: the installed x0d.conf has no User; served as root with User nobody')
            extra += 'User nobody\n'
        if STAGE:
            # The staged installation is this test's own: serve its default
            # configuration in place (no -f), as an administrator would.
            cls.conf = None
            path = at('conf/x0d.conf')
        else:
            # A real installation, perhaps serving: a copy, with a PidFile
            # of its own.
            cls.conf = path = os.path.join(WORK, 'x0d.conf')
            extra += 'PidFile %s\n' % os.path.join(WORK, 'x0d.pid')
        with open(path, 'w') as f:
            f.write(moved + (TEST_MARK + extra if extra else ''))
        cls.args = ['-d', ROOT] + (['-f', cls.conf] if cls.conf else [])
        cls.tls = os.path.exists(at('conf/ssl/localhost.key'))
        cls.stderr = open(os.path.join(WORK, 'stderr.log'), 'w+b')
        cls.proc = subprocess.Popen([at('sbin/x0d')] + cls.args + ['-D', 'FOREGROUND'],
                                    stdin=subprocess.DEVNULL, stdout=cls.stderr,
                                    stderr=cls.stderr, cwd=WORK)
        deadline = time.monotonic() + x0test.START_TIMEOUT
        while True:
            if cls.proc.poll() is not None:
                cls.stderr.seek(0)
                raise AssertionError('the installed x0d exited with %s\n%s'
                                     % (cls.proc.returncode, cls.stderr.read()[-3000:]))
            try:
                socket.create_connection(('127.0.0.1', cls.http), 0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    cls.stop()
                    raise AssertionError('the installed x0d is not listening on %d' % cls.http)
                time.sleep(0.05)

    @classmethod
    def stop(cls):
        if cls.proc.poll() is None:
            cls.proc.send_signal(signal.SIGTERM)
            try:
                cls.proc.wait(x0test.STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                cls.proc.kill()
                cls.proc.wait()

    @classmethod
    def tearDownClass(cls):
        cls.stop()
        cls.stderr.close()

    def test_config_test(self):
        p = x0d(*(self.args + ['-t']))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('Syntax OK', p.stderr)

    def test_default_root_is_the_prefix(self):
        """Without -d, x0d finds its configuration under the prefix it was
        built for: only where that is where it is installed (installcheck
        without DESTDIR)."""
        if ROOT != PREFIX:
            self.skipTest('installed under DESTDIR: the prefix is elsewhere')
        p = x0d('-t')
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_pid_file(self):
        """Where the configuration says, else logs/x0d.pid (installed
        configuration only: the copy served under installcheck has its own)."""
        if not STAGE:
            self.skipTest('a copy of the configuration is served')
        named = re.findall(r'^\s*PidFile\s+(\S+)', installed_conf(), re.M)
        path = at(named[-1] if named else 'logs/x0d.pid')
        deadline = time.monotonic() + 5
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not os.path.exists(path) and not named:
            self.skipTest('this x0d writes no PID file without PidFile')
        with open(path) as f:
            self.assertEqual(f.read().strip(), str(self.proc.pid))

    def test_page(self):
        with open(at('htdocs/index.html'), 'rb') as f:
            want = f.read()
        p = x0test.curl('-s', '-D', '-', 'http://127.0.0.1:%d/' % self.http)
        self.assertEqual(p.returncode, 0, p.stderr)
        head, _, body = p.stdout.partition(b'\r\n\r\n')
        self.assertTrue(head.startswith(b'HTTP/1.1 200'), head)
        self.assertIn(b'text/html', head)
        self.assertEqual(body, want)

    def test_page_over_tls(self):
        if not self.tls:
            self.skipTest('no certificate: openssl was missing at install time')
        p = x0test.curl('-s', '--cacert', at('conf/ssl/localhost.crt'),
                        '--resolve', 'localhost:%d:127.0.0.1' % self.https,
                        '-o', '/dev/null', '-w', '%{http_code}',
                        'https://localhost:%d/' % self.https)
        self.assertEqual((p.returncode, p.stdout), (0, b'200'), p.stderr)

    def test_module_handler(self):
        p = x0test.curl('-s', 'http://127.0.0.1:%d/hello?n=3' % self.http)
        self.assertEqual(p.stdout, b'hello, world 1\nhello, world 2\nhello, world 3\n')


if __name__ == '__main__':
    unittest.main()
