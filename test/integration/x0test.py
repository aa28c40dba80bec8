"""Shared harness for the x0d integration tests.

Each test file starts a real x0d on a loopback port with a config and a
document root in a fresh temporary directory, talks to it with curl or with
raw sockets, and stops it with SIGTERM.  Python 3 standard library only.

Environment (set by `make check`):
  X0D        absolute path of the x0d binary
  X0_SRCDIR  top of the source tree (for conf/mime.types)
  X0TEST_KEEP=1 keeps the temporary directories for inspection.
  X0_WRAPPER    a command that x0d runs under, split like a shell would, e.g.
                X0_WRAPPER="valgrind --error-exitcode=99 --leak-check=full
                --errors-for-leak-kinds=definite --track-fds=no -q"
                Start and stop then get more time, and the tests in
                WRAPPER_SKIPS are skipped.

A server fails its test when it exits with a status other than 0 at SIGTERM
(a wrapper's --error-exitcode, a sanitizer's exit code) or when its stderr or
ErrorLog holds a sanitizer or valgrind report (see REPORT): x0d sends its
stderr to the ErrorLog, so those reports would otherwise go unseen.

Exit codes follow automake: 0 pass, 77 skip, anything else fail.
"""

import collections
import email.utils
import os
import re
import select
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))

WRAPPER = shlex.split(os.environ.get('X0_WRAPPER', ''))
# valgrind starts x0d 20-50 times slower and checks for leaks at exit.
START_TIMEOUT = 120 if WRAPPER else 10
STOP_TIMEOUT = 60 if WRAPPER else 5

# Test files that mean nothing or take hours under a wrapper.
WRAPPER_SKIPS = {
    'test_memory.py': 'VmRSS under X0_WRAPPER is the wrapper\'s, not x0d\'s',
    'test_idle_memory.py': 'VmRSS under X0_WRAPPER is the wrapper\'s, not x0d\'s',
    'test_bigfile.py': 'streaming 5 GiB through X0_WRAPPER takes far too long',
}

# The first line of an ASan, LSan, UBSan or valgrind error report.
# ("definitely lost: 0 bytes" is valgrind's leak summary saying all is well.)
REPORT = re.compile(r'ERROR: AddressSanitizer|runtime error:|LeakSanitizer'
                    r'|Invalid (read|write|free)|uninitialised|Mismatched free'
                    r'|definitely lost(?!: 0 bytes)')
REPORT_LIMIT = 8000


def srcdir():
    return os.path.abspath(os.environ.get('X0_SRCDIR')
                           or os.path.join(HERE, '..', '..'))


def x0d_binary():
    return os.path.abspath(os.environ.get('X0D')
                           or os.path.join(srcdir(), 'x0d'))


def mime_types_path():
    return os.path.join(srcdir(), 'conf', 'mime.types')


def skip_file(reason):
    """Skip a whole test file (automake exit code 77)."""
    print('SKIP: ' + reason)
    sys.exit(SKIP)


def wrapper_error_exitcode():
    """The --error-exitcode=N given to the X0_WRAPPER, or None."""
    for word in WRAPPER:
        if word.startswith('--error-exitcode='):
            return int(word.split('=', 1)[1])
    return None


def error_reports(label, data):
    """The sanitizer/valgrind reports in @data (bytes), from a few lines
    before the first one, or ''."""
    text = data.decode('utf-8', 'replace')
    m = REPORT.search(text)
    if not m:
        return ''
    start = text.rfind('\n', 0, m.start()) + 1
    for _ in range(2):      # ASan's report starts with a line of '='
        start = text.rfind('\n', 0, max(0, start - 1)) + 1
    report = text[start:start + REPORT_LIMIT].strip('\n')
    return ('--- sanitizer/valgrind report in x0d %s ---\n%s\n--- end of report%s ---'
            % (label, report, ' (cut)' if len(text) - start > REPORT_LIMIT else ''))


def run_x0d(args, timeout=15):
    """x0d @args under the X0_WRAPPER to completion (CompletedProcess); fails
    when its stderr holds a sanitizer or valgrind report."""
    p = subprocess.run(WRAPPER + [x0d_binary()] + args, capture_output=True,
                       timeout=timeout * (10 if WRAPPER else 1), stdin=subprocess.DEVNULL)
    report = error_reports('stderr of x0d %s' % ' '.join(args), p.stderr)
    if report or (WRAPPER and p.returncode == wrapper_error_exitcode()):
        raise AssertionError('x0d %s: exit %d\n%s\n%s'
                             % (' '.join(args), p.returncode, report,
                                p.stderr.decode('utf-8', 'replace')[-3000:]))
    return p


def sanitized_binary():
    """True when x0d is built with AddressSanitizer (RSS figures mean nothing then)."""
    try:
        out = subprocess.run(['ldd', x0d_binary()], capture_output=True,
                             timeout=10).stdout
        if b'libasan' in out:
            return True
        with open(x0d_binary(), 'rb') as f:
            return b'__asan_init' in f.read()
    except OSError:
        return False


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_date(ts):
    return email.utils.formatdate(ts, usegmt=True)


def rss_kib(pid):
    """VmRSS of @pid in KiB."""
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise RuntimeError('no VmRSS for pid %d' % pid)


def proc_stat(pid):
    """(state, ppid) of @pid, or None when it does not exist."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    rest = data[data.rfind(')') + 2:].split()
    return rest[0], int(rest[1])


def process_alive(pid):
    """Exists and is not a zombie."""
    st = proc_stat(pid)
    return st is not None and st[0] not in ('Z', 'X')


def wait_for(cond, timeout, step=0.05):
    """Poll @cond until it returns something true (that value) or @timeout
    seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() > deadline:
            return v or None
        time.sleep(step)


def end_stray_workers(seen, note):
    """After the master stopped: SIGKILL any of the worker pids @seen still
    alive, and add that to @note (the stop's complaint or None)."""
    stray = [w for w in seen if process_alive(w)]
    for w in stray:
        os.kill(w, signal.SIGKILL)
    if stray:
        note = (note or '') + ' workers %r outlived the master' % stray
    return note


def children_of(pid):
    """Live (non-zombie) child pids of @pid."""
    kids = []
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        st = proc_stat(int(name))
        if st and st[1] == pid and st[0] not in ('Z', 'X'):
            kids.append(int(name))
    return sorted(kids)


def curl(*args, timeout=60):
    """Run curl; returns CompletedProcess with bytes stdout/stderr."""
    return subprocess.run(['curl', '--noproxy', '*'] + list(args),
                          capture_output=True, timeout=timeout)


# ---------------------------------------------------------------- config

def builddir():
    """Where x0d was built (its modules are below it)."""
    return os.path.dirname(x0d_binary())


def module_path(name):
    """The loadable mod_NAME.so of this build, or None when x0d has it built in."""
    path = os.path.join(builddir(), 'modules', 'mod_%s' % name, '.libs', 'mod_%s.so' % name)
    return path if os.path.exists(path) else None


# The modules every test config loads (when the build made them loadable).
SHIPPED_MODULES = ('static', 'hello', 'echo', 'headers', 'expires', 'alias', 'authz')


def load_module_lines(names=SHIPPED_MODULES):
    """LoadModule lines for @names, skipping modules built into x0d."""
    return ['%s_module %s' % (n, module_path(n)) for n in names if module_path(n)]


def default_directives(srv):
    """The base config, as (name, value) pairs; tests override by name."""
    return [
        ('LoadModule', load_module_lines()),
        ('Listen', '127.0.0.1:%d' % srv.port),
        ('ServerName', 'localhost'),
        ('DocumentRoot', srv.root),
        ('DirectoryIndex', 'index.html'),
        ('TypesConfig', mime_types_path()),
        ('DefaultType', 'application/octet-stream'),
        ('AddType', 'text/plain .txt'),
        ('Workers', '1'),
        ('KeepAlive', 'On'),
        ('KeepAliveTimeout', '5'),
        ('MaxKeepAliveRequests', '100'),
        ('Timeout', '60'),
        ('LimitRequestLine', '8190'),
        ('LimitRequestFieldSize', '8190'),
        ('LimitRequestFields', '100'),
        ('ErrorLog', srv.error_log),
        ('LogLevel', 'info'),
        ('PidFile', srv.pid_file),
        ('Options', 'FollowSymLinks'),
        # As root, x0d refuses to start workers unless User says who they
        # run as; the tests' files are root's, so root it is, written out.
        ('User', 'root' if os.geteuid() == 0 else None),
    ]


HELLO_LOCATION = '<Location /hello>\n    SetHandler x0-hello\n</Location>\n'


class Server:
    """One x0d in a fresh temp dir.

    directives: {name: value} overriding default_directives; value None drops
    the directive, a list gives it several times.  extra: text appended to
    the config (the /hello location is always there).  files: {relpath:
    bytes} written under the document root.
    """

    def __init__(self, directives=None, extra='', files=None, foreground=True,
                 args=()):
        self.dir = tempfile.mkdtemp(prefix='x0test-')
        self.root = os.path.join(self.dir, 'htdocs')
        os.mkdir(self.root)
        self.port = free_port()
        self.conf_path = os.path.join(self.dir, 'x0d.conf')
        self.error_log = os.path.join(self.dir, 'error.log')
        self.pid_file = os.path.join(self.dir, 'x0d.pid')
        self.stdout_path = os.path.join(self.dir, 'stdout.log')
        self.stderr_path = os.path.join(self.dir, 'stderr.log')
        self.foreground = foreground
        self.args = list(args)
        self.cwd = self.dir
        self.proc = None
        self.stopped = False
        self.stop_note = None
        for rel, data in (files or {}).items():
            self.write(rel, data)
        self.write_config(directives or {}, extra)

    # -- files
    def path(self, rel):
        return os.path.join(self.root, rel.lstrip('/'))

    def write(self, rel, data):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'wb') as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return p

    def config_text(self, directives, extra):
        """Defaults in order, each replaced by its override; new names last."""
        defaults = default_directives(self)
        merged = dict(defaults)
        merged.update(directives)
        lines = []
        for name in dict.fromkeys([n for n, _ in defaults] + list(directives)):
            value = merged[name]
            if value is None:
                continue
            for v in (value if isinstance(value, list) else [value]):
                lines.append('%s %s' % (name, v))
        return '\n'.join(lines) + '\n' + HELLO_LOCATION + extra

    def write_config(self, directives, extra=''):
        with open(self.conf_path, 'w') as f:
            f.write(self.config_text(directives, extra))

    # -- process
    def command(self):
        cmd = [x0d_binary(), '-f', self.conf_path]
        if self.foreground:
            cmd.append('-X')
        return cmd + self.args

    def start(self, wait=True):
        binary = x0d_binary()
        if not os.access(binary, os.X_OK):
            raise AssertionError('x0d binary not found at %s (set X0D)' % binary)
        self._out = open(self.stdout_path, 'wb')
        self._err = open(self.stderr_path, 'wb')
        self.stopped = False
        self.proc = subprocess.Popen(WRAPPER + self.command(), stdout=self._out,
                                     stderr=self._err, stdin=subprocess.DEVNULL,
                                     cwd=self.cwd)
        if wait:
            self.wait_listening()
        return self

    def wait_listening(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError('x0d exited with %s before listening\n%s\n%s'
                                     % (self.proc.returncode, self.reports(), self.logs()))
            try:
                socket.create_connection(('127.0.0.1', self.port), 0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError('x0d not listening on port %d after %d s\n%s'
                             % (self.port, timeout, self.logs()))

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, expect_exited=False):
        """SIGTERM, wait STOP_TIMEOUT s, SIGKILL.  Returns None if it stopped
        cleanly and left no error report, else a message saying what went
        wrong."""
        if self.proc is None:
            return None
        if self.stopped:
            return self.stop_note
        self.stopped = True
        note = None
        if self.proc.poll() is not None:
            if not expect_exited:
                note = 'x0d had already exited with %s before SIGTERM' % self.proc.returncode
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                note = ('x0d did not exit within %d s of SIGTERM; killed with SIGKILL'
                        % STOP_TIMEOUT)
        rc = self.proc.returncode
        if note is None and rc < 0 and -rc != signal.SIGTERM:
            note = 'x0d died from signal %d at SIGTERM' % -rc
        elif note is None and rc > 0:
            note = 'x0d exited with status %d at SIGTERM' % rc
        self._out.close()
        self._err.close()
        reports = self.reports()
        if reports:
            note = (note + '\n' if note else '') + reports
        self.stop_note = note
        return note

    def cleanup(self):
        if not os.environ.get('X0TEST_KEEP'):
            shutil.rmtree(self.dir, ignore_errors=True)

    def log_files(self):
        """(label, bytes) of each log x0d wrote."""
        out = []
        for label, p in (('stderr', self.stderr_path), ('stdout', self.stdout_path),
                         ('error.log', self.error_log)):
            try:
                with open(p, 'rb') as f:
                    out.append((label, f.read()))
            except OSError:
                continue
        return out

    def reports(self):
        """The sanitizer/valgrind reports in x0d's stderr and ErrorLog, or ''."""
        found = [error_reports(label, data) for label, data in self.log_files()
                 if label != 'stdout']
        return '\n'.join(r for r in found if r)

    def logs(self, limit=3000):
        out = []
        for label, data in self.log_files():
            if data:
                out.append('--- x0d %s (last %d bytes) ---\n%s'
                           % (label, limit, data[-limit:].decode('utf-8', 'replace')))
        return '\n'.join(out) or '(x0d wrote no logs)'

    def url(self, path='/'):
        return 'http://127.0.0.1:%d%s' % (self.port, path)

    def conn(self, **kw):
        return Conn(self.port, **kw)


def test_failed(test):
    """In tearDown: did this test fail so far?  (To show the server's logs.)"""
    result = getattr(getattr(test, '_outcome', None), 'result', None)
    if result is None:
        return False
    return any(t is test for t, _ in result.failures + result.errors)


class ServerTestCase(unittest.TestCase):
    """One x0d per test class: set `directives`, `extra`, `files` (and
    `server_class` for a Server that starts x0d differently)."""

    directives = {}
    extra = ''
    files = {}
    foreground = True
    server = None
    server_class = Server

    @classmethod
    def setUpClass(cls):
        cls.server = cls.server_class(cls.directives, cls.extra, cls.files, cls.foreground)
        cls.prepare(cls.server)
        try:
            cls.server.start()
        except Exception:
            cls.server.stop()
            cls.server.cleanup()
            raise

    @classmethod
    def prepare(cls, server):
        """Hook: create more files before the server starts."""

    @classmethod
    def tearDownClass(cls):
        note = cls.server.stop()
        logs = cls.server.logs()
        cls.server.cleanup()
        if note:
            raise AssertionError(note + '\n' + logs)

    def tearDown(self):
        if test_failed(self):
            sys.stderr.write('\n' + self.server.logs() + '\n')
        if not self.server.alive():
            self.fail('x0d died during %s (exit %s)\n%s\n%s'
                      % (self.id(), self.server.proc.returncode, self.server.reports(),
                         self.server.logs()))

    @property
    def port(self):
        return self.server.port

    def conn(self, **kw):
        return Conn(self.server.port, **kw)

    def get(self, path, **kw):
        """One request on a fresh connection; returns the Response."""
        return fetch(self.server.port, path, **kw)


class DirectiveTestCase(unittest.TestCase):
    """A fresh x0d per test (for tests that restart it or change its
    listeners): start(value) sets `directive`, the one under test, to
    value, or leaves its default; `files` as in ServerTestCase. Its logs
    are shown when the test fails."""

    directive = None
    files = {}
    needs_ss = False  # the tests read sockets' state with ss (iproute2)

    @classmethod
    def setUpClass(cls):
        if cls.needs_ss and not shutil.which('ss'):
            raise AssertionError('ss (Debian package iproute2) is needed; tools/build installs it')

    def start(self, value=None, foreground=True):
        srv = Server({self.directive: value} if value else {}, files=self.files,
                     foreground=foreground)
        self.addCleanup(srv.cleanup)
        srv.start()
        self.srv = srv
        return srv

    def tearDown(self):
        srv = getattr(self, 'srv', None)
        if srv is None:
            return
        if test_failed(self):
            print('\n' + srv.logs())
        note = srv.stop()
        if note:
            self.fail(note)


# ---------------------------------------------------------------- raw HTTP

class ProtocolError(AssertionError):
    """The server's bytes are not valid HTTP/1.1 (a test failure)."""


class Response:
    def __init__(self, version, status, reason, headers, raw_head):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers          # [(name, value)] in order
        self.raw_head = raw_head
        self.body = b''
        self.chunks = None              # chunk sizes when chunked
        self.trailers = None
        self.framing = None             # 'none', 'length', 'chunked', 'close'

    def header_list(self, name):
        name = name.lower()
        return [v for n, v in self.headers if n.lower() == name]

    def header(self, name):
        vals = self.header_list(name)
        return ', '.join(vals) if vals else None

    def has(self, name):
        return bool(self.header_list(name))

    def tokens(self, name):
        """Comma-separated tokens of a header, lower case."""
        v = self.header(name) or ''
        return [t.strip().lower() for t in v.split(',') if t.strip()]

    def __repr__(self):
        return '<Response %d %r %d body bytes>\n%s' % (
            self.status, self.reason, len(self.body),
            self.raw_head.decode('latin-1'))


STATUS_LINE = re.compile(rb'HTTP/(\d)\.(\d) (\d{3}) ([^\r\n]*)')
FIELD_LINE = re.compile(rb'([!#$%&\'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*')
CHUNK_SIZE = re.compile(rb'[0-9A-Fa-f]+')


def build_request(method='GET', path='/', headers=None, version='HTTP/1.1',
                  host='localhost', body=b''):
    """Bytes of one request.  headers: list of (name, value) or dict;
    host=None leaves Host out."""
    lines = ['%s %s %s' % (method, path, version)]
    if host is not None:
        lines.append('Host: %s' % host)
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    for n, v in items:
        lines.append('%s: %s' % (n, v))
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1') + body


class Conn:
    """A buffered client connection that reads one response at a time."""

    def __init__(self, port, host='127.0.0.1', timeout=10, rcvbuf=None,
                 nodelay=True, linger0=False):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if nodelay:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if linger0:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack('ii', 1, 0))
        self.sock.settimeout(timeout)
        self.timeout = timeout
        self.sock.connect((host, port))
        self.buf = bytearray()
        self.eof = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def request(self, method='GET', path='/', **kw):
        self.send(build_request(method, path, **kw))

    # -- reading
    def _fill(self, size=65536):
        """Read more into buf; False at EOF."""
        if self.eof:
            return False
        try:
            data = self.sock.recv(size)
        except socket.timeout:
            raise ProtocolError('timed out after %s s waiting for data '
                                '(have %d bytes: %r)' % (self.timeout, len(self.buf),
                                                         bytes(self.buf[:200])))
        except ConnectionResetError:
            data = b''
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _read_line(self, what):
        while True:
            i = self.buf.find(b'\n')
            if i >= 0:
                if i == 0 or self.buf[i - 1] != 13:
                    raise ProtocolError('bare LF in %s: %r' % (what, bytes(self.buf[:i + 1])))
                line = bytes(self.buf[:i - 1])
                del self.buf[:i + 1]
                return line
            if not self._fill():
                raise ProtocolError('connection closed in %s (have %r)'
                                    % (what, bytes(self.buf[:200])))

    def _read_exact(self, n, what):
        while len(self.buf) < n:
            if not self._fill(max(65536, min(n - len(self.buf), 1 << 22))):
                raise ProtocolError('connection closed in %s after %d of %d bytes'
                                    % (what, len(self.buf), n))
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def read_head(self):
        """Status line and fields of the next response."""
        while True:
            end = self.buf.find(b'\r\n\r\n')
            if end >= 0:
                break
            if not self._fill():
                if not self.buf:
                    raise ProtocolError('connection closed before a response')
                raise ProtocolError('connection closed inside a response head: %r'
                                    % bytes(self.buf[:500]))
        raw = bytes(self.buf[:end + 4])
        del self.buf[:end + 4]
        lines = raw[:-4].split(b'\r\n')
        for ln in lines:
            if b'\n' in ln or b'\r' in ln:
                raise ProtocolError('bare CR/LF in response head: %r' % raw)
        m = STATUS_LINE.fullmatch(lines[0])
        if not m:
            raise ProtocolError('bad status line: %r' % lines[0])
        headers = []
        for ln in lines[1:]:
            f = FIELD_LINE.fullmatch(ln)
            if not f:
                raise ProtocolError('bad header line %r in\n%s' % (ln, raw.decode('latin-1')))
            headers.append((f.group(1).decode('latin-1'), f.group(2).decode('latin-1')))
        return Response('HTTP/%s.%s' % (m.group(1).decode(), m.group(2).decode()),
                        int(m.group(3)), m.group(4).decode('latin-1'), headers, raw)

    def read_response(self, method='GET'):
        """One complete response, framed per RFC 9112 section 6.3."""
        r = self.read_head()
        while 100 <= r.status < 200 and r.status != 101:
            r = self.read_head()
        te = r.tokens('Transfer-Encoding')
        cls = r.header_list('Content-Length')
        if method == 'HEAD' or r.status in (204, 304) or 100 <= r.status < 200:
            r.framing = 'none'
        elif te:
            if te[-1] != 'chunked':
                raise ProtocolError('Transfer-Encoding without final chunked: %r' % te)
            if cls:
                raise ProtocolError('both Transfer-Encoding and Content-Length\n%r' % r)
            r.framing = 'chunked'
            self._read_chunked(r)
        elif cls:
            if len(set(cls)) != 1 or not cls[0].isdigit():
                raise ProtocolError('bad Content-Length %r' % cls)
            r.framing = 'length'
            r.body = self._read_exact(int(cls[0]), 'body of %d' % r.status)
        else:
            r.framing = 'close'
            while self._fill():
                pass
            r.body = bytes(self.buf)
            self.buf.clear()
        return r

    def _read_chunked(self, r):
        body = bytearray()
        sizes = []
        while True:
            line = self._read_line('chunk size line')
            if not CHUNK_SIZE.fullmatch(line):
                raise ProtocolError('bad chunk size line %r after %d chunks'
                                    % (line, len(sizes)))
            size = int(line, 16)
            sizes.append(size)
            if size == 0:
                break
            body += self._read_exact(size, 'chunk data')
            if self._read_exact(2, 'chunk CRLF') != b'\r\n':
                raise ProtocolError('chunk data not followed by CRLF (sizes so far %r)'
                                    % sizes)
        trailers = []
        while True:
            line = self._read_line('trailer section')
            if line == b'':
                break
            trailers.append(line)
        r.body = bytes(body)
        r.chunks = sizes
        r.trailers = trailers

    def read_until_close(self):
        """Everything until EOF (plus what was buffered)."""
        while self._fill():
            pass
        data = bytes(self.buf)
        self.buf.clear()
        return data

    def wait_closed(self, timeout):
        """Wait up to @timeout s for EOF/reset.  Returns the seconds it took,
        or None if still open.  Data that arrives meanwhile stays in buf."""
        start = time.monotonic()
        deadline = start + timeout
        while not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                self._fill()
        return time.monotonic() - start

    def still_open(self, seconds):
        """True if no EOF arrives within @seconds."""
        return self.wait_closed(seconds) is None


def fetch(port, path='/', method='GET', **kw):
    """One request on a fresh connection; returns the Response."""
    with Conn(port) as c:
        c.request(method, path, **kw)
        return c.read_response(method)


def exchange(port, raw, method='GET', timeout=10):
    """Send raw bytes on a fresh connection; returns (Response, Conn)."""
    c = Conn(port, timeout=timeout)
    c.send(raw)
    return c.read_response(method), c


# ---------------------------------------------------------------- TLS

def openssl(*args, timeout=30):
    """Run the openssl CLI to completion; raises with its output if it fails."""
    try:
        p = subprocess.run(['openssl'] + list(args), capture_output=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise AssertionError('the openssl command is needed for the TLS tests: '
                             'apt-get install openssl')
    if p.returncode != 0:
        raise AssertionError('openssl %s: exit %d\n%s' % (' '.join(args), p.returncode,
                                                        (p.stdout + p.stderr).decode()))
    return p


# A certificate made by make_cert: crt holds the certificate alone; chain holds
# it followed by its issuers up to, not including, the self-signed root (what
# SSLCertificateFile takes); key is its private key.
TlsCert = collections.namedtuple('TlsCert', 'crt key chain cn self_signed')


def make_cert(directory, name, cn, issuer=None, ca=False, sans=(), key_pass=None,
              days=2):
    """A fresh P-256 key and a certificate for the subject CN=@cn, made with the
    openssl CLI as @directory/NAME.{key,crt,chain.crt}; returns a TlsCert.

    issuer: the TlsCert that signs it (a CA), else it signs itself.  ca: it
    may sign others.  sans: subjectAltName entries, e.g. ('DNS:localhost',
    'IP:127.0.0.1').  key_pass: the key file is encrypted (AES-256) under
    this passphrase.  For the tests only: the keys live in @directory, a
    temporary directory the caller removes."""
    base = os.path.join(directory, name)
    crt, key, chain = base + '.crt', base + '.key', base + '.chain.crt'
    genkey = ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256',
              '-out', key]
    if key_pass is not None:
        genkey += ['-aes256', '-pass', 'pass:' + key_pass]
    openssl(*genkey)
    if ca:
        ext = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']
    else:
        ext = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature',
               'extendedKeyUsage=serverAuth,clientAuth']
    ext.append('subjectKeyIdentifier=hash')
    if issuer is not None:
        ext.append('authorityKeyIdentifier=keyid')
    if sans:
        ext.append('subjectAltName=' + ','.join(sans))
    with open(base + '.ext', 'w') as f:
        f.write('\n'.join(ext) + '\n')
    passin = ['-passin', 'pass:' + key_pass] if key_pass is not None else []
    openssl('req', '-new', '-key', key, '-subj', '/CN=' + cn, '-out', base + '.csr', *passin)
    sign = ['x509', '-req', '-in', base + '.csr', '-days', str(days), '-sha256',
            '-extfile', base + '.ext', '-set_serial', '0x' + os.urandom(8).hex(), '-out', crt]
    if issuer is None:
        sign += ['-signkey', key] + passin
    else:
        sign += ['-CA', issuer.crt, '-CAkey', issuer.key]
    openssl(*sign)
    with open(crt) as f:
        text = f.read()
    if issuer is not None and not issuer.self_signed:
        with open(issuer.chain) as f:
            text += f.read()
    with open(chain, 'w') as f:
        f.write(text)
    return TlsCert(crt, key, chain, cn, issuer is None)


def skip_under_wrapper():
    """Skip the running test file if it is in WRAPPER_SKIPS and X0_WRAPPER is set."""
    main = os.path.basename(getattr(sys.modules['__main__'], '__file__', None) or '')
    if WRAPPER and main in WRAPPER_SKIPS:
        skip_file(WRAPPER_SKIPS[main])


skip_under_wrapper()
