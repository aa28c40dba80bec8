#!/usr/bin/env python3
"""Run the conformance cases (conformance_cases.py) over raw sockets against
x0d and, when it is installed, nginx started from a temporary config; write
a markdown table of where the two differ to stdout.

    X0D=./x0d python3 test/integration/compare_nginx.py > report.md

nginx serves the same document root; /echo and /hello, which are x0d
modules, are proxied to the x0d under test (nginx reads and re-frames the
request body itself, so the request-side cases still test nginx's parser).
The comparison is a report: the exit status is 0 whatever the servers
answer, 77 when nginx is not installed.

test_conformance.py uses the same runner for its pass/fail checks on x0d and
calls report() to print this table when nginx exists.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import x0test
from x0test import Conn, ProtocolError
import conformance_cases as cc

TIMEOUT = 30 if x0test.WRAPPER else 3        # s to wait for one response
CLOSE_WAIT = 30 if x0test.WRAPPER else 6     # s to wait for EOF (nginx lingers 5 s before closing)
BIG_SEND = 64 * 1024                         # bytes above which a send runs in a thread

ECHO_LOCATION = '<Location /echo>\n    SetHandler echo\n</Location>\n'
# KeepAliveTimeout longer than CLOSE_WAIT: else a connection that x0d keeps
# open would time out within CLOSE_WAIT and pass for one that it closed.
X0_DIRECTIVES = {'LimitRequestBody': str(cc.LIMIT), 'KeepAliveTimeout': '60'}


# ---------------------------------------------------------------- one case

class Outcome:
    """What one run of a case's steps saw."""

    def __init__(self):
        self.seen = []          # short labels of what was read: '200', '100>200', 'EOF', ...
        self.problems = []      # mismatch descriptions; [] when all steps matched
        self.closed = None      # EOF seen: True, False (still open), None (not checked)

    @property
    def ok(self):
        return not self.problems

    @property
    def summary(self):
        s = ' '.join(self.seen) or '-'
        if self.closed is True:
            s += ' +close'
        elif self.closed is False:
            s += ' +open'
        return s


class Sender:
    """Sends each chunk of request bytes; big ones in a thread, so that a
    server echoing the body while the client still sends cannot deadlock
    against a client that is not reading yet."""

    def __init__(self, conn):
        self.conn = conn
        self.thread = None
        self.error = None

    def _send(self, data):
        try:
            self.conn.sock.sendall(data)
        except OSError as e:        # the server may answer and close before reading it all
            self.error = e

    def send(self, data):
        self.wait()
        if len(data) < BIG_SEND:
            self._send(data)
            return
        self.thread = threading.Thread(target=self._send, args=(data,), daemon=True)
        self.thread.start()

    def wait(self):
        if self.thread:
            self.thread.join(TIMEOUT * 4)
            self.thread = None


def read_step(conn, alts):
    """Read what answers one expectation step: ('resp', Response, [1xx]),
    ('eof', None, []), ('timeout'|'error', message, [])."""
    method = 'HEAD' if any(a.method == 'HEAD' for a in alts) else 'GET'
    interim_wanted = any(not a.closed and a.wants_interim for a in alts)
    interim = []
    head = None
    try:
        r = conn.read_head()
        while not interim_wanted and 100 <= r.status < 200 and r.status != 101:
            interim.append(r.status)
            r = conn.read_head()
        if interim_wanted and 100 <= r.status < 200:
            return 'resp', r, interim
        head = r
        conn.buf[:0] = r.raw_head           # let the harness frame the body
        return 'resp', conn.read_response(method), interim
    except ProtocolError as e:
        if head is not None and conn.eof and 'connection closed' in str(e):
            return 'aborted', head, interim
        msg = str(e)
        if conn.eof and not conn.buf and 'before a response' in msg:
            return 'eof', None, interim
        if 'timed out' in msg:
            return 'timeout', msg, interim
        return 'error', msg, interim


def label(kind, r, interim):
    if kind == 'resp':
        return '>'.join([str(s) for s in interim] + [str(r.status)])
    if kind == 'eof':
        return 'EOF'
    if kind == 'aborted':
        return '>'.join([str(s) for s in interim] + [str(r.status) + '(cut)'])
    return 'malformed' if kind == 'error' else kind


def matches(alt, kind, r, interim, subst):
    """None if what was read (see read_step) meets @alt, else why not."""
    if isinstance(alt, cc.Anything):
        return None
    if isinstance(alt, cc.Aborted):
        return None if kind == 'aborted' and r.status == alt.status else 'want %s' % alt
    if alt.closed:
        return None if kind == 'eof' else 'want %s' % alt
    if kind != 'resp':
        return 'want %s' % alt
    return '; '.join(alt.mismatches(r, interim, subst)) or None


def check_closed(conn, out, why):
    """EOF must come next, with nothing before it."""
    out.closed = conn.wait_closed(CLOSE_WAIT) is not None
    if not out.closed:
        out.problems.append('connection still open %s s after %s' % (CLOSE_WAIT, why))
    elif conn.buf:
        out.problems.append('bytes after %s: %s' % (why, cc.show(bytes(conn.buf))))
    return not out.problems


def check_kept_open(conn, sender, out, subst):
    """The connection stays open: cc.KEEP_PROBE is answered on it."""
    sender.wait()
    if conn.eof:
        out.closed = True
        out.problems.append('connection closed after the last response; want it kept open')
        return
    request, want = cc.KEEP_PROBE
    try:
        conn.send(request)
    except OSError as e:
        out.closed = True
        out.problems.append('connection not kept open: sending a GET after the last '
                            'response failed: %s' % e)
        return
    kind, r, interim = read_step(conn, (want,))
    if kind == 'eof':
        out.closed = True
        out.problems.append('connection closed after the last response; want it kept open '
                            '(a GET sent then got no answer)')
        return
    why = matches(want, kind, r, interim, subst)
    if why:
        out.problems.append('a GET sent after the last response (to see that the connection '
                            'is still open): got %s: %s' % (label(kind, r, interim), why))
        return
    out.closed = False


def run_steps(port, steps, close, subst):
    """Run @steps on a fresh connection to @port; an Outcome.  @close: True,
    EOF must follow the last response; False, the connection must stay open
    (cc.KEEP_PROBE is answered); None, not checked."""
    out = Outcome()
    try:
        conn = Conn(port, timeout=TIMEOUT)
    except OSError as e:
        out.problems.append('cannot connect: %s' % e)
        return out
    sender = Sender(conn)
    nth = 0
    try:
        for step in steps:
            if isinstance(step, bytes):
                sender.send(cc.subst_bytes(step, subst))
                continue
            nth += 1
            alts = step if isinstance(step, tuple) else (step,)
            kind, r, interim = read_step(conn, alts)
            out.seen.append(label(kind, r, interim))
            why = []
            for a in alts:
                w = matches(a, kind, r, interim, subst)
                if w is None:
                    break
                why.append(w)
            else:
                got = {'resp': out.seen[-1], 'aborted': out.seen[-1],
                       'eof': 'connection closed'}.get(kind, '%s (%s)' % (kind, r))
                out.problems.append('response %d: got %s: %s' % (nth, got, ' | or: '.join(why)))
                if kind == 'resp' and 'close' in r.tokens('Connection'):
                    sender.wait()   # for the report: does it close as it said?
                    out.closed = conn.wait_closed(CLOSE_WAIT) is not None
                return out
            if kind == 'eof':
                out.closed = True
                continue
            # RFC 9112 9.6: after a response with "close" the server MUST
            # close, and MUST NOT answer further requests.
            if a.closes or (kind == 'resp' and 'close' in r.tokens('Connection')):
                sender.wait()
                if not check_closed(conn, out, 'response %d (%s)' % (
                        nth, 'Connection: close' if not a.closes else 'want close')):
                    return out
        if close and out.closed is None:
            sender.wait()
            check_closed(conn, out, 'the last response')
        elif close and not out.closed:
            out.problems.append('connection not closed after the last response')
        elif close is False:
            check_kept_open(conn, sender, out, subst)
        return out
    finally:
        sender.wait()
        conn.close()


class Result:
    """A case judged on one server: x0 policy (ok) and RFC (rfc_ok)."""

    def __init__(self, case, outcome, rfc_outcome=None):
        self.case = case
        self.outcome = outcome
        self.rfc_outcome = rfc_outcome

    @property
    def ok(self):
        return self.outcome.ok

    @property
    def rfc_ok(self):
        if self.outcome.ok:
            return True
        return self.rfc_outcome is not None and self.rfc_outcome.ok

    @property
    def summary(self):
        return self.outcome.summary


def run_case(port, case, subst, rfc=True):
    """Judge @case against the server on @port.  With @rfc, a case that
    misses x0's policy is run again with the RFC's wider expectations."""
    outcome = run_steps(port, case.steps, case.close, subst)
    rfc_outcome = None
    if rfc and not outcome.ok and case.rfc is not None:
        rfc_outcome = run_steps(port, case.rfc, case.rfc_close, subst)
    return Result(case, outcome, rfc_outcome)


def probe(port):
    """The per-server substitutions: entity tags of the test files."""
    subst = {}
    for key, path in (('@ETAG@', '/abc.txt'), ('@RETAG@', '/rand.bin')):
        r = x0test.fetch(port, path)
        subst[key] = r.header('ETag') or '"no-etag"'
    return subst


def run_all(port, cases=None, rfc=True):
    subst = probe(port)
    return [run_case(port, c, subst, rfc) for c in (cases or cc.CASES)]


def describe(case):
    """Request and expectations of @case, for a failure message."""
    lines = ['%s  [RFC %s] %s' % (case.id, case.ref, case.req)]
    if case.why:
        lines.append('  x0 policy: %s' % case.why)
    for s in case.steps:
        if isinstance(s, bytes):
            lines.append('  send %s' % cc.show(s, 300))
        else:
            alts = s if isinstance(s, tuple) else (s,)
            lines.append('  want %s' % ' | or '.join(str(a) for a in alts))
    if case.close:
        lines.append('  then the connection closes')
    elif case.close is False:
        lines.append('  then the connection stays open (a GET of /abc.txt is answered)')
    return '\n'.join(lines)


# ---------------------------------------------------------------- servers

def prepare_docroot(server):
    """Fixed mtimes, so Last-Modified is cc.LM on both servers."""
    for rel in cc.TIMED_FILES:
        os.utime(server.path(rel), (cc.MTIME, cc.MTIME))


def x0d_server():
    return x0test.Server(X0_DIRECTIVES, ECHO_LOCATION, cc.FILES)


NGINX_CONF = '''\
daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 512; }}
http {{
    access_log off;
    types {{ text/plain txt; text/html html; application/octet-stream bin; }}
    default_type application/octet-stream;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    client_max_body_size {limit};
    keepalive_timeout 5;
    sendfile on;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {root};
        location /echo {{ proxy_pass http://127.0.0.1:{upstream}; proxy_http_version 1.1; }}
        location /hello {{ proxy_pass http://127.0.0.1:{upstream}; proxy_http_version 1.1; }}
    }}
}}
'''


def nginx_binary():
    return shutil.which('nginx') or next(
        (p for p in ('/usr/sbin/nginx', '/usr/local/sbin/nginx') if os.access(p, os.X_OK)), None)


class Nginx:
    """nginx in one foreground process, from a config in a temp dir."""

    def __init__(self, root, upstream_port):
        self.binary = nginx_binary()
        self.dir = tempfile.mkdtemp(prefix='x0conf-nginx-')
        self.port = x0test.free_port()
        self.conf = os.path.join(self.dir, 'nginx.conf')
        with open(self.conf, 'w') as f:
            f.write(NGINX_CONF.format(dir=self.dir, root=root, port=self.port,
                                      upstream=upstream_port, limit=cc.LIMIT))
        self.proc = None

    def version(self):
        p = subprocess.run([self.binary, '-v'], capture_output=True, text=True)
        return (p.stderr or p.stdout).strip().replace('nginx version: ', '')

    def start(self):
        err = open(os.path.join(self.dir, 'stderr.log'), 'wb')
        self.proc = subprocess.Popen([self.binary, '-p', self.dir, '-c', self.conf,
                                      '-e', os.path.join(self.dir, 'error.log')],
                                     stdout=err, stderr=err, stdin=subprocess.DEVNULL)
        err.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('nginx exited with %s: %s' % (self.proc.returncode, self.log()))
            try:
                socket.create_connection(('127.0.0.1', self.port), 0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError('nginx not listening after 10 s: %s' % self.log())

    def log(self):
        out = []
        for name in ('stderr.log', 'error.log'):
            try:
                with open(os.path.join(self.dir, name), errors='replace') as f:
                    out.append(f.read()[-2000:])
            except OSError:
                pass
        return '\n'.join(out)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not os.environ.get('X0TEST_KEEP'):
            shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- the report

def verdict(res):
    if res.ok:
        return 'as x0 expects'
    if res.rfc_ok:
        return 'RFC allows'
    return '**violates**'


def md(s):
    return str(s).replace('|', '\\|').replace('\n', ' ')


def report(x0_results, ng_results, nginx_version=''):
    """Markdown: per-group counts, then every case where the two differ."""
    out = []
    groups = cc.GROUPS
    out.append('Cases: %d. x0d %s.' % (len(x0_results), 'vs nginx ' + nginx_version
                                        if nginx_version else ''))
    out.append('')
    out.append('| group | cases | x0d meets x0 policy | x0d meets RFC | nginx meets x0 policy '
               '| nginx meets RFC | differ |')
    out.append('|---|---:|---:|---:|---:|---:|---:|')
    pairs = list(zip(x0_results, ng_results))
    for g in groups:
        sel = [(a, b) for a, b in pairs if a.case.group == g]
        out.append('| %s | %d | %d | %d | %d | %d | %d |' % (
            g, len(sel), sum(a.ok for a, _ in sel), sum(a.rfc_ok for a, _ in sel),
            sum(b.ok for _, b in sel), sum(b.rfc_ok for _, b in sel),
            sum(differ(a, b) for a, b in sel)))
    out.append('')
    out.append('Where they differ (outcome = statuses read in order; `100>200` is an '
               'interim 100 then 200; `+close` = EOF right after; `+open` = still open '
               '(a GET sent after the last response was answered); `EOF` = closed instead '
               'of a response; `200(cut)` = body cut short by a close; `malformed` = not '
               'an HTTP/1.x response):')
    out.append('')
    out.append('| case | RFC | requirement | x0d | nginx | nginx vs RFC |')
    out.append('|---|---|---|---|---|---|')
    for a, b in pairs:
        if differ(a, b):
            c = a.case
            out.append('| %s | %s | %s | %s%s | %s | %s |' % (
                md(c.id), md(c.ref), md(c.req), md(a.summary), '' if a.ok else ' (FAIL)',
                md(b.summary), verdict(b)))
    failing = [a for a in x0_results if not a.ok]
    if failing:
        out.append('')
        out.append('x0d failures:')
        out.append('')
        for a in failing:
            out.append('- `%s`: %s' % (a.case.id, md('; '.join(a.outcome.problems))))
    nginx_off = [b for b in ng_results if not b.rfc_ok]
    if nginx_off:
        out.append('')
        out.append('nginx outside the RFC (as these cases read it):')
        out.append('')
        for b in nginx_off:
            out.append('- `%s` (%s): %s' % (b.case.id, md(b.case.ref),
                                            md('; '.join(b.outcome.problems))))
    return '\n'.join(out) + '\n'


def differ(a, b):
    return a.ok != b.ok or a.summary != b.summary


def compare(x0_port, root, cases=None):
    """Start nginx beside the x0d on @x0_port (serving @root), run the cases
    on both; (x0 results, nginx results, nginx version)."""
    ng = Nginx(root, x0_port)
    try:
        ng.start()
        x0_results = run_all(x0_port, cases)
        ng_results = run_all(ng.port, cases)
        return x0_results, ng_results, ng.version()
    finally:
        ng.stop()


def main():
    if not nginx_binary():
        print('nginx is not installed: nothing to compare')
        return x0test.SKIP
    server = x0d_server()
    prepare_docroot(server)
    server.start()
    try:
        x0_results, ng_results, version = compare(server.port, server.root)
    finally:
        note = server.stop()
        server.cleanup()
    sys.stdout.write(report(x0_results, ng_results, version))
    if note:
        sys.stderr.write('x0d: %s\n' % note)
    return 0


if __name__ == '__main__':
    sys.exit(main())
