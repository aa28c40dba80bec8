"""TLS (mod_ssl): x0d serving HTTPS on a `Listen ADDR:PORT https` port, with
curl, `openssl s_client` and python's ssl module as clients.

  - GET over TLS; keep-alive (curl reuses its connection); 20 requests
    pipelined in one TLS write; Range; a chunked POST echoed back; a 96 MiB
    file whole (sha256); a plain listener beside the TLS one still plain.
  - Versions: TLS 1.0 and 1.1 refused by the server (protocol_version
    alert), 1.2 and 1.3 accepted.  ALPN: of h2 and http/1.1, http/1.1; h2
    alone: no ALPN, and the connection goes on (x0's choice).
  - SNI picks the virtual host's certificate, sent with its chain; an
    unknown name, or none, gets the first vhost's.  A Host that names
    another TLS vhost than SNI did is 421; without SNI the Host decides.
  - Resumption (s_client -sess_out / -sess_in): tickets in TLS 1.3 and 1.2,
    on one worker, across two workers (each connection pinned to a worker:
    the other one is SIGSTOPped, so it cannot accept), and across a restart
    with SSLSessionTicketKeyFile (without it, a restart forgets the
    sessions).  x0 keeps no server-side session cache: with
    SSLSessionTickets off nothing resumes.
  - The event loop is never blocked by TLS: a ClientHello trickled a byte
    at a time while other clients are served, then completed; a slow reader
    of a large file keeps x0d's VmRSS bounded (x0 does not encrypt the file
    ahead of the client) while others are served.
  - Robustness: clients that vanish mid-handshake and mid-record (FIN and
    RST) leave the worker alive and serving; plain HTTP sent to the TLS port
    gets the connection closed (at most a TLS alert first), nothing else.
  - close_notify before the server closes: after Connection: close, and
    when an idle keep-alive connection times out.
  - Client certificates: SSLVerifyClient require (a certificate from
    SSLCACertificateFile's CA: 200; none, or one from another CA: no 200)
    and optional (none: 200); a session made without client verification
    never resumes where a certificate is required.
  - Configtest errors at the directive's FILE:LINE: a missing certificate
    file, a key that does not match the certificate, an encrypted key.

Certificates are made at run time with the openssl CLI (x0test.make_cert)
in a temporary directory: a root CA, an intermediate CA that signs the
server certificates (a client that trusts only the root verifies them only
when the server sends the chain), and a CA of its own for client
certificates.  Python 3 standard library, curl and openssl only.
"""

import contextlib
import hashlib
import os
import random
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import unittest

import x0test
from x0test import Conn, ProtocolError, Server, ServerTestCase, build_request, run_x0d, wait_for

MODULES = tuple(dict.fromkeys(x0test.SHIPPED_MODULES + ('ssl',)))
ECHO = '<Location /echo>\n    SetHandler echo\n</Location>\n'

INDEX_A = b'site a (localhost)\n'
INDEX_B = b'site b (b.example)\n'
FILES = {
    'index.html': INDEX_A,
    'one.txt': b'one\n',
    'two.txt': b'two, a little longer than one\n' * 300,
    'three.bin': random.Random(3).randbytes(100 * 1000),
}
# The large file: BIG_MIB copies of one random MiB (quick to write and to
# check at any offset).  Under X0_WRAPPER (valgrind) TLS is slow: less.
BLOCK = random.Random(8).randbytes(1 << 20)
BIG_MIB = 8 if x0test.WRAPPER else 96
# Seconds a client waits for each answer.
TIMEOUT = 60 if x0test.WRAPPER else 10
# The slow reader reads SLOW_MIB of it at about SLOW_RATE bytes/s, with a
# request on another connection after each MiB, while x0d's VmRSS may grow
# by SLOW_GROWTH_KIB at most: far below the file's size, so that a server
# that encrypts the file ahead of the client fails.
SLOW_MIB = 6
SLOW_RATE = 2 << 20
SLOW_PIECE = 64 * 1024
SLOW_GROWTH_KIB = 32 * 1024
# The trickled ClientHello: one byte per write, TRICKLE_PAUSE s apart (so
# that x0 reads it in many pieces), and a whole HTTPS request on another
# connection every TRICKLE_EVERY bytes.
TRICKLE_PAUSE = 0.005
TRICKLE_EVERY = 32
KEEPALIVE_TIMEOUT = 5

PKI = None          # the certificates, made by setUpModule


class Pki:
    """Every certificate the tests use, in one temporary directory."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='x0test-pki-')

        def mk(name, cn, **kw):
            return x0test.make_cert(self.dir, name, cn, **kw)
        self.root = mk('root', 'x0 test root CA', ca=True)
        self.inter = mk('inter', 'x0 test intermediate CA', issuer=self.root, ca=True)
        self.a = mk('a', 'localhost', issuer=self.inter,
                    sans=('DNS:localhost', 'IP:127.0.0.1'))
        self.b = mk('b', 'b.example', issuer=self.inter, sans=('DNS:b.example',))
        self.encrypted = mk('encrypted', 'localhost', issuer=self.inter,
                            sans=('DNS:localhost',), key_pass='x')
        self.client_ca = mk('client-ca', 'x0 test client CA', ca=True)
        self.client = mk('client', 'client one', issuer=self.client_ca)
        self.stranger_ca = mk('stranger-ca', 'x0 test other CA', ca=True)
        self.stranger = mk('stranger', 'client stranger', issuer=self.stranger_ca)

    def cleanup(self):
        if not os.environ.get('X0TEST_KEEP'):
            shutil.rmtree(self.dir, ignore_errors=True)


def setUpModule():
    global PKI
    PKI = Pki()


def tearDownModule():
    if PKI:
        PKI.cleanup()


# ---------------------------------------------------------------- config

def tls_directives(*tls_ports, plain=(), **more):
    """Directives for a server with these `https` listeners (and @plain ones)."""
    d = {'LoadModule': x0test.load_module_lines(MODULES),
         'Listen': ['127.0.0.1:%d https' % p for p in tls_ports]
         + ['127.0.0.1:%d' % p for p in plain]}
    d.update(more)
    return d


def tls_vhost(port, name, chain, key, extra=()):
    """A <VirtualHost> with SSLEngine on; @extra: more lines inside it."""
    lines = ['<VirtualHost 127.0.0.1:%d>' % port, 'ServerName %s' % name, 'SSLEngine on',
             'SSLCertificateFile %s' % chain, 'SSLCertificateKeyFile %s' % key]
    lines += list(extra)
    return '\n'.join(lines[:1] + ['    ' + ln for ln in lines[1:]]) + '\n</VirtualHost>\n'


def two_sites(server, port, a_extra=(), b_extra=()):
    """localhost (certificate a, the main DocumentRoot) then b.example
    (certificate b, a DocumentRoot of its own) on @port."""
    root_b = os.path.join(server.dir, 'site-b')
    os.makedirs(root_b, exist_ok=True)
    with open(os.path.join(root_b, 'index.html'), 'wb') as f:
        f.write(INDEX_B)
    return (tls_vhost(port, 'localhost', PKI.a.chain, PKI.a.key, a_extra)
            + tls_vhost(port, 'b.example', PKI.b.chain, PKI.b.key,
                        ['DocumentRoot %s' % root_b] + list(b_extra)))


# ---------------------------------------------------------------- clients

def client_context(cert=None, check_hostname=True, version=None, alpn=None):
    """A client context that trusts only the test root CA (so the server
    must send the intermediate); @cert: a client certificate; @version: the
    one TLS version it speaks."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(PKI.root.crt)
    ctx.check_hostname = check_hostname
    if version is not None:
        ctx.minimum_version = ctx.maximum_version = version
    if cert is not None:
        ctx.load_cert_chain(cert.chain, cert.key)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def tls_conn(port, sni='localhost', context=None, timeout=TIMEOUT, ragged_ok=True, **kw):
    """An x0test.Conn to 127.0.0.1:@port whose socket is TLS, handshake
    done.  sni: the name sent (None: no SNI; give a context that does not
    check the host name then).  ragged_ok=False: an EOF without close_notify
    raises ssl.SSLEOFError instead of reading as EOF."""
    c = Conn(port, timeout=timeout, **kw)
    try:
        c.sock = (context or client_context()).wrap_socket(
            c.sock, server_hostname=sni, suppress_ragged_eofs=ragged_ok)
    except BaseException:
        c.close()
        raise
    return c


class BioSocket:
    """The client side of TLS over ssl.MemoryBIO, socket-like (recv,
    sendall, close, fileno: an x0test.Conn reads through it): nothing goes on
    the wire unless asked, so a test can send part of a handshake or record
    itself on .raw."""

    def __init__(self, raw, context=None, sni='localhost'):
        self.raw = raw
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = (context or client_context()).wrap_bio(self.inc, self.out,
                                                          server_hostname=sni)

    def client_hello(self):
        """The bytes of the first flight, not sent."""
        try:
            self.obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        return self.out.read()

    def _until_done(self, step):
        while True:
            try:
                result = step()
            except ssl.SSLWantReadError:
                self.flush()
                data = self.raw.recv(65536)
                if data:
                    self.inc.write(data)
                else:
                    self.inc.write_eof()
                continue
            self.flush()
            return result

    def flush(self):
        data = self.out.read()
        if data:
            self.raw.sendall(data)

    def handshake(self):
        self._until_done(self.obj.do_handshake)

    def sendall(self, data):
        self.obj.write(data)
        self.flush()

    def recv(self, size):
        return self._until_done(lambda: self.obj.read(size))

    def fileno(self):
        return self.raw.fileno()

    def close(self):
        self.raw.close()


def s_client(port, *args, send=b'', timeout=2 * TIMEOUT):
    """`openssl s_client` to 127.0.0.1:@port with @args, @send on its stdin
    (then EOF): (exit status, everything it printed)."""
    p = subprocess.run(['openssl', 's_client', '-connect', '127.0.0.1:%d' % port] + list(args),
                       input=send, capture_output=True, timeout=timeout)
    return p.returncode, (p.stdout + p.stderr).decode('utf-8', 'replace')


# s_client sends it and, with -ign_eof, reads until the server closes: by
# then it has the session tickets, which TLS 1.3 sends after the handshake.
GET_CLOSE = build_request('GET', '/index.html', headers={'Connection': 'close'})
SESSION_LINE = re.compile(r'^(New|Reused), (TLSv[\d.]+),', re.M)


def s_client_session(port, version, sess_flag, path, sni='localhost'):
    """A GET with `s_client @version -sess_out|-sess_in @path`:
    (New or Reused, the protocol, the output)."""
    rc, out = s_client(port, '-servername', sni, version, sess_flag, path, '-ign_eof',
                       send=GET_CLOSE)
    m = SESSION_LINE.search(out)
    if rc != 0 or not m or 'HTTP/1.1 200 ' not in out:
        raise AssertionError('s_client %s %s: exit %d, no session or no 200:\n%s'
                             % (version, sess_flag, rc, out))
    if sess_flag == '-sess_out' and not os.path.exists(path):
        # s_client saves only a session it may resume: one with a ticket or
        # a session ID
        raise AssertionError('s_client %s %s: the server gave no session to resume (no '
                             'ticket, no session ID):\n%s' % (version, sess_flag, out))
    return m.group(1), m.group(2), out




def outcome(port, context, sni='localhost', path='/index.html'):
    """A GET with Connection: close over a fresh TLS connection: the
    Response, or the exception that ended it."""
    try:
        with tls_conn(port, sni, context) as c:
            c.request('GET', path, headers={'Connection': 'close'})
            return c.read_response()
    except (ssl.SSLError, ConnectionError, ProtocolError) as e:
        return e


# ---------------------------------------------------------------- tests

class TlsTest(ServerTestCase):
    """One x0d (-X: one process, i.e. one worker) with two TLS vhosts on
    its port, and a plain listener beside it."""

    directives = {'KeepAliveTimeout': str(KEEPALIVE_TIMEOUT)}
    files = FILES
    plain_port = None

    @classmethod
    def prepare(cls, server):
        cls.plain_port = x0test.free_port()
        with open(server.path('big.bin'), 'wb') as f:
            for _ in range(BIG_MIB):
                f.write(BLOCK)
        directives = dict(cls.directives, **tls_directives(server.port, plain=[cls.plain_port]))
        server.write_config(directives, ECHO + two_sites(server, server.port))

    def curl(self, *args):
        return x0test.curl('--http1.1', '-sS', '--cacert', PKI.root.crt,
                           '--resolve', 'localhost:%d:127.0.0.1' % self.port, *args)

    def url(self, path):
        return 'https://localhost:%d%s' % (self.port, path)

    def get_ok(self, path='/index.html', body=INDEX_A, sni='localhost'):
        """A GET on a fresh TLS connection must be 200 with @body."""
        with tls_conn(self.port, sni) as c:
            c.request('GET', path, host=sni)
            r = c.read_response()
        self.assertEqual((r.status, r.body), (200, body), r)

    # -- HTTP over TLS

    def test_curl_get_and_keep_alive(self):
        d = tempfile.mkdtemp(prefix='x0test-curl-', dir=self.server.dir)
        one, two = os.path.join(d, 'one'), os.path.join(d, 'two')
        p = self.curl('-v', '-w', '%{http_code} %{num_connects}\\n',
                      '-o', one, self.url('/index.html'), '-o', two, self.url('/two.txt'))
        err = p.stderr.decode('utf-8', 'replace')
        self.assertEqual(p.returncode, 0, err)
        # num_connects: the connections this transfer opened.
        self.assertEqual(p.stdout.decode().split('\n'), ['200 1', '200 0', ''], err)
        self.assertIn('Re-using existing connection', err)
        with open(one, 'rb') as f:
            self.assertEqual(f.read(), INDEX_A)
        with open(two, 'rb') as f:
            self.assertEqual(f.read(), FILES['two.txt'])

    def test_twenty_pipelined_in_one_write(self):
        names = ['index.html', 'one.txt', 'two.txt', 'three.bin'] * 5
        random.Random(20).shuffle(names)
        raw = b''.join(build_request('GET', '/' + n) for n in names)
        with tls_conn(self.port) as c:
            c.sock.sendall(raw)
            for i, n in enumerate(names):
                r = c.read_response()
                self.assertEqual(r.status, 200, 'response %d (%s): %r' % (i, n, r))
                self.assertEqual(r.body, FILES[n], 'response %d (%s) body' % (i, n))
            # and the connection goes on
            c.request('GET', '/one.txt')
            self.assertEqual(c.read_response().body, FILES['one.txt'])

    def test_range(self):
        with tls_conn(self.port) as c:
            c.request('GET', '/three.bin', headers={'Range': 'bytes=100-199'})
            r = c.read_response()
            self.assertEqual(r.status, 206, r)
            self.assertEqual(r.header('Content-Range'),
                             'bytes 100-199/%d' % len(FILES['three.bin']))
            self.assertEqual(r.body, FILES['three.bin'][100:200])
            c.request('GET', '/one.txt')
            self.assertEqual(c.read_response().body, FILES['one.txt'])

    def test_chunked_post_echoed(self):
        pieces = [b'hello ', b'over ', b'TLS\n', random.Random(5).randbytes(200 * 1000)]
        with tls_conn(self.port) as c:
            c.sock.sendall(build_request('POST', '/echo',
                                         headers={'Transfer-Encoding': 'chunked'}))
            for p in pieces:    # a TLS record (or more) each
                c.sock.sendall(b'%x\r\n%s\r\n' % (len(p), p))
            c.sock.sendall(b'0\r\n\r\n')
            r = c.read_response('POST')
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body, b''.join(pieces))
            c.request('GET', '/one.txt')
            self.assertEqual(c.read_response().body, FILES['one.txt'])

    def test_large_file_with_curl(self):
        out = os.path.join(self.server.dir, 'big.out')
        self.addCleanup(lambda: os.path.exists(out) and os.unlink(out))
        p = self.curl('-o', out, '-w', '%{http_code} %{size_download}', self.url('/big.bin'))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.decode(), '200 %d' % (BIG_MIB << 20))
        want = hashlib.sha256()
        for _ in range(BIG_MIB):
            want.update(BLOCK)
        h = hashlib.sha256()
        with open(out, 'rb') as f:
            for piece in iter(lambda: f.read(1 << 20), b''):
                h.update(piece)
        self.assertEqual(h.hexdigest(), want.hexdigest())

    def test_plain_listener_beside_tls(self):
        r = x0test.fetch(self.plain_port, '/index.html')
        self.assertEqual((r.status, r.body), (200, INDEX_A))

    # -- versions, ALPN, SNI, 421

    def test_tls12_and_tls13_accepted(self):
        for flag, name in (('-tls1_2', 'TLSv1.2'), ('-tls1_3', 'TLSv1.3')):
            rc, out = s_client(self.port, '-servername', 'localhost', flag)
            self.assertEqual(rc, 0, out)
            m = SESSION_LINE.search(out)
            self.assertEqual(m and m.group(2), name, out)
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            with tls_conn(self.port, context=client_context(version=version)) as c:
                self.assertEqual(c.sock.version(), version.name.replace('_', '.'))
                c.request('GET', '/index.html')
                self.assertEqual(c.read_response().body, INDEX_A)

    def test_tls10_and_tls11_refused_by_the_server(self):
        # SECLEVEL=0: Debian's client would refuse these versions itself.
        for flag in ('-tls1', '-tls1_1'):
            rc, out = s_client(self.port, '-servername', 'localhost', flag,
                               '-cipher', 'DEFAULT@SECLEVEL=0')
            self.assertNotEqual(rc, 0, out)
            self.assertNotIn('no protocols available', out, 'the client refused, not x0')
            self.assertIn('alert protocol version', out, flag)
            # (s_client prints "Protocol : TLSv1" even then: the version it asked for)
            self.assertIn('New, (NONE), Cipher is (NONE)', out, flag)
        self.get_ok()

    def test_alpn_prefers_http11(self):
        ctx = client_context(alpn=['h2', 'http/1.1'])
        with tls_conn(self.port, context=ctx) as c:
            self.assertEqual(c.sock.selected_alpn_protocol(), 'http/1.1')
            c.request('GET', '/index.html')
            self.assertEqual(c.read_response().body, INDEX_A)
        # x0's choice for a client that offers only h2: no ALPN in the answer
        # (no no_application_protocol alert), and the connection goes on
        with tls_conn(self.port, context=client_context(alpn=['h2'])) as c:
            self.assertIsNone(c.sock.selected_alpn_protocol())
            c.request('GET', '/index.html')
            self.assertEqual(c.read_response().body, INDEX_A)

    def peer_cn(self, sni):
        """The subject CN of the certificate x0 sends for @sni (verified
        against the root CA, chain included)."""
        with tls_conn(self.port, sni, client_context(check_hostname=False)) as c:
            cert = c.sock.getpeercert()
        return dict(x[0] for x in cert['subject'])['commonName']

    def test_sni_picks_the_certificate(self):
        self.assertEqual(self.peer_cn('localhost'), 'localhost')
        self.assertEqual(self.peer_cn('b.example'), 'b.example')
        self.assertEqual(self.peer_cn('B.Example'), 'b.example')
        self.assertEqual(self.peer_cn('unknown.example'), 'localhost', 'not the first vhost')
        self.assertEqual(self.peer_cn(None), 'localhost', 'without SNI: not the first vhost')
        # with the host name checked too, and each vhost's content
        self.get_ok(sni='localhost')
        self.get_ok(sni='b.example', body=INDEX_B)

    def test_host_naming_another_vhost_is_421(self):
        for sni, host in (('b.example', 'localhost'), ('localhost', 'b.example')):
            with tls_conn(self.port, sni) as c:
                c.request('GET', '/index.html', host=host)
                r = c.read_response()
            self.assertEqual(r.status, 421, 'SNI %s, Host %s: %r' % (sni, host, r))
        # the same vhost, written differently: no 421
        for host in ('b.example:%d' % self.port, 'B.EXAMPLE'):
            with tls_conn(self.port, 'b.example') as c:
                c.request('GET', '/index.html', host=host)
                r = c.read_response()
            self.assertEqual((r.status, r.body), (200, INDEX_B), 'Host %s: %r' % (host, r))
        # without SNI the Host decides, as both vhosts ask the same of the
        # client (no client certificates)
        with tls_conn(self.port, None, client_context(check_hostname=False)) as c:
            c.request('GET', '/index.html', host='b.example')
            r = c.read_response()
        self.assertEqual((r.status, r.body), (200, INDEX_B), 'no SNI, Host b.example: %r' % r)

    # -- sessions

    def test_resumption_with_tickets(self):
        for version, name in (('-tls1_3', 'TLSv1.3'), ('-tls1_2', 'TLSv1.2')):
            path = os.path.join(self.server.dir, 'session%s.pem' % version)
            first = s_client_session(self.port, version, '-sess_out', path)
            self.assertEqual(first[:2], ('New', name), first[2])
            second = s_client_session(self.port, version, '-sess_in', path)
            self.assertEqual(second[:2], ('Reused', name), second[2])

    def test_a_resumed_session_resumes_again(self):
        # Clients that keep resuming (wrk does): a TLS 1.3 connection that
        # resumed gets a fresh ticket, and that one resumes the next.
        paths = [os.path.join(self.server.dir, 'chain%d.pem' % i) for i in range(4)]
        first = s_client_session(self.port, '-tls1_3', '-sess_out', paths[0])
        self.assertEqual(first[0], 'New', first[2])
        for used, fresh in zip(paths, paths[1:]):
            rc, out = s_client(self.port, '-servername', 'localhost', '-tls1_3',
                               '-sess_in', used, '-sess_out', fresh, '-ign_eof', send=GET_CLOSE)
            m = SESSION_LINE.search(out)
            self.assertTrue(rc == 0 and m and m.group(1) == 'Reused', out)
            self.assertTrue(os.path.exists(fresh), 'no ticket on a resumed connection:\n' + out)

    # -- the event loop is not blocked

    def test_trickled_client_hello(self):
        c = Conn(self.port, timeout=TIMEOUT)
        with c:
            bio = BioSocket(c.sock)
            hello = bio.client_hello()
            self.assertGreater(len(hello), 100)
            served = 0
            for i in range(len(hello)):
                c.sock.sendall(hello[i:i + 1])
                if i % TRICKLE_EVERY == 0:
                    # the worker goes on serving others meanwhile
                    self.get_ok('/one.txt', FILES['one.txt'])
                    served += 1
                time.sleep(TRICKLE_PAUSE)
            bio.handshake()
            c.sock = bio
            c.request('GET', '/two.txt')
            r = c.read_response()
            self.assertEqual((r.status, r.body), (200, FILES['two.txt']))
            self.assertGreater(served, 3)

    def test_slow_reader_holds_bounded_memory(self):
        measure = not (x0test.WRAPPER or x0test.sanitized_binary())
        self.get_ok()   # first-use costs before the baseline
        before = x0test.rss_kib(self.server.pid) if measure else 0
        peak = before
        want = SLOW_MIB << 20
        with tls_conn(self.port, rcvbuf=64 * 1024) as c:
            c.request('GET', '/big.bin')
            r = c.read_head()
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.header('Content-Length'), str(BIG_MIB << 20))
            got = 0
            start = time.monotonic()
            while got < want:
                piece = c._read_exact(SLOW_PIECE, 'the body of big.bin')
                off = got % len(BLOCK)
                if piece != BLOCK[off:off + SLOW_PIECE]:
                    self.fail('big.bin differs in the %d bytes at %d' % (SLOW_PIECE, got))
                got += SLOW_PIECE
                if got % (1 << 20) == 0:
                    self.get_ok('/one.txt', FILES['one.txt'])
                if measure:
                    peak = max(peak, x0test.rss_kib(self.server.pid))
                # the pace of a slow client: no condition to wait on
                ahead = start + got / SLOW_RATE - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        # closed mid-body: x0 goes on serving
        self.get_ok()
        if measure:
            print('\nVmRSS KiB: %d before, at most %d while a client read %d MiB of a '
                  '%d MiB file over TLS at %d KiB/s: %+d KiB'
                  % (before, peak, SLOW_MIB, BIG_MIB, SLOW_RATE >> 10, peak - before))
            self.assertLess(peak - before, SLOW_GROWTH_KIB,
                            'VmRSS grew %d -> %d KiB while the client read slowly: '
                            'x0 encrypts ahead of the client' % (before, peak))

    # -- misbehaving clients, close_notify

    def test_plain_http_to_the_tls_port(self):
        with self.conn() as c:
            c.send(build_request('GET', '/index.html'))
            self.assertIsNotNone(c.wait_closed(TIMEOUT), 'the connection is still open')
            data = bytes(c.buf)
            # nothing, or TLS alert records (content type 21); no HTTP, no handshake
            self.assertTrue(data == b'' or data[0] == 21, data[:200])
        self.get_ok()

    def test_close_notify_after_connection_close(self):
        with tls_conn(self.port, ragged_ok=False) as c:
            c.request('GET', '/index.html', headers={'Connection': 'close'})
            r = c.read_response()
            self.assertEqual((r.status, r.body), (200, INDEX_A))
            self.assertIn('close', r.tokens('Connection'))
            try:
                data = c.sock.recv(100)
            except ssl.SSLEOFError:
                self.fail('x0 closed the connection without a close_notify')
            self.assertEqual(data, b'', 'data after the last response')

    def test_close_notify_at_keepalive_timeout(self):
        with tls_conn(self.port, ragged_ok=False, timeout=KEEPALIVE_TIMEOUT + TIMEOUT) as c:
            c.request('GET', '/index.html')
            r = c.read_response()
            self.assertEqual((r.status, r.body), (200, INDEX_A))
            try:
                took = c.wait_closed(KEEPALIVE_TIMEOUT + TIMEOUT)
            except ssl.SSLEOFError:
                self.fail('x0 closed an idle connection without a close_notify')
            self.assertIsNotNone(took, 'not closed after KeepAliveTimeout')
            self.assertEqual(bytes(c.buf), b'')


class TlsWorkersTest(ServerTestCase):
    """Workers 2: sessions resume on the other worker.  Port 1 has tickets,
    port 2 has SSLSessionTickets off (and an SSLSessionCache, which x0
    ignores)."""

    directives = {'Workers': '2'}
    foreground = False
    files = {'index.html': INDEX_A}
    port2 = None

    @classmethod
    def prepare(cls, server):
        cls.port2 = x0test.free_port()
        cache = 'shmcb:%s(512000)' % os.path.join(server.dir, 'session-cache')
        directives = dict(cls.directives, SSLSessionCache=cache,
                          **tls_directives(server.port, cls.port2))
        server.write_config(directives, tls_vhost(server.port, 'localhost', PKI.a.chain,
                                                  PKI.a.key)
                            + tls_vhost(cls.port2, 'localhost', PKI.a.chain, PKI.a.key,
                                        ['SSLSessionTickets off']))

    def workers(self):
        ws = wait_for(lambda: (lambda w: len(w) == 2 and w)(x0test.children_of(self.server.pid)),
                      10)
        self.assertTrue(ws, 'expected 2 workers under master %d, have %r'
                        % (self.server.pid, x0test.children_of(self.server.pid)))
        return ws

    @contextlib.contextmanager
    def only(self, worker):
        """Only @worker accepts meanwhile: the others are stopped (SIGSTOP)."""
        others = [w for w in self.workers() if w != worker]
        for w in others:
            os.kill(w, signal.SIGSTOP)
        try:
            yield
        finally:
            for w in others:
                os.kill(w, signal.SIGCONT)

    def across_workers(self, port, version, name):
        one, two = self.workers()
        path = os.path.join(self.server.dir, 'session-%d%s.pem' % (port, version))
        with self.only(one):
            first = s_client_session(port, version, '-sess_out', path)
        self.assertEqual(first[:2], ('New', name), first[2])
        with self.only(two):
            second = s_client_session(port, version, '-sess_in', path)
        self.assertEqual(second[:2], ('Reused', name),
                         'a session of worker %d not resumed on worker %d:\n%s'
                         % (one, two, second[2]))
        self.assertEqual(self.workers(), [one, two], 'a worker died')
        return first[2]

    def test_tickets_across_workers(self):
        self.across_workers(self.port, '-tls1_3', 'TLSv1.3')
        first = self.across_workers(self.port, '-tls1_2', 'TLSv1.2')
        self.assertIn('TLS session ticket:', first)

    def test_tickets_off_resumes_nothing(self):
        # x0 keeps no server-side session cache (SSLSessionCache is accepted
        # and ignored with a notice): sessions resume by tickets only, so
        # with SSLSessionTickets off a client gets neither a ticket nor a
        # session ID, and s_client has no session to save.
        for version in ('-tls1_2', '-tls1_3'):
            path = os.path.join(self.server.dir, 'no-session%s.pem' % version)
            rc, out = s_client(self.port2, '-servername', 'localhost', version,
                               '-sess_out', path, '-ign_eof', send=GET_CLOSE)
            self.assertEqual(rc, 0, out)
            self.assertIn('HTTP/1.1 200 ', out)
            self.assertNotIn('TLS session ticket:', out, version)
            if version == '-tls1_2':
                self.assertRegex(out, r'Session-ID: *\n')
            self.assertFalse(os.path.exists(path), version + ': a session to resume')

    def test_clients_vanishing_mid_handshake_and_mid_record(self):
        workers = self.workers()
        for w in workers:
            with self.only(w):
                for linger0 in (False, True):   # FIN, RST
                    how = 'RST' if linger0 else 'FIN'
                    # half a ClientHello
                    with Conn(self.port, linger0=linger0) as c:
                        hello = BioSocket(c.sock).client_hello()
                        c.send(hello[:len(hello) // 2])
                    self.assertEqual(outcome(self.port, client_context()).status, 200,
                                     'after half a ClientHello, %s' % how)
                    # a handshake, then 10 bytes of a record
                    with Conn(self.port, linger0=linger0) as c:
                        bio = BioSocket(c.sock)
                        bio.handshake()
                        bio.obj.write(build_request('GET', '/index.html'))
                        c.send(bio.out.read()[:10])
                    r = outcome(self.port, client_context())
                    self.assertEqual((r.status, r.body), (200, INDEX_A),
                                     'after 10 bytes of a record, %s' % how)
        self.assertEqual(self.workers(), workers, 'a worker died')


class TicketKeyRestartTest(unittest.TestCase):
    """SSLSessionTicketKeyFile: sessions survive a restart; without it,
    each start makes new ticket keys."""

    def setUp(self):
        self.srv = Server(files={'index.html': INDEX_A})
        self.addCleanup(self.srv.cleanup)

    def tearDown(self):
        if x0test.test_failed(self):
            print('\n' + self.srv.logs())
        note = self.srv.stop()
        if note:
            self.fail(note + '\n' + self.srv.logs())

    def start(self, key_file):
        extra = ['SSLSessionTicketKeyFile %s' % key_file] if key_file else []
        self.srv.write_config(tls_directives(self.srv.port, SSLSessionCache='none'),
                              tls_vhost(self.srv.port, 'localhost', PKI.a.chain, PKI.a.key,
                                        extra))
        self.srv.start()

    def sessions_after_restart(self, key_file):
        """Sessions made before a restart, resumed after it: {version: New|Reused}."""
        self.start(key_file)
        paths = {}
        for version in ('-tls1_3', '-tls1_2'):
            paths[version] = os.path.join(self.srv.dir, 'session%s.pem' % version)
            self.assertEqual(s_client_session(self.srv.port, version, '-sess_out',
                                              paths[version])[0], 'New')
            r = s_client_session(self.srv.port, version, '-sess_in', paths[version])
            self.assertEqual(r[0], 'Reused', 'not even before the restart:\n' + r[2])
        note = self.srv.stop()
        self.assertIsNone(note, note)
        self.srv.start()
        return {v: s_client_session(self.srv.port, v, '-sess_in', p)[0]
                for v, p in paths.items()}

    def test_key_file_keeps_sessions_across_restart(self):
        key_file = os.path.join(self.srv.dir, 'ticket.key')
        with open(key_file, 'wb') as f:
            f.write(os.urandom(48))
        self.assertEqual(self.sessions_after_restart(key_file),
                         {'-tls1_3': 'Reused', '-tls1_2': 'Reused'})

    def test_without_key_file_restart_forgets_sessions(self):
        self.assertEqual(self.sessions_after_restart(None),
                         {'-tls1_3': 'New', '-tls1_2': 'New'})


class ClientCertTest(ServerTestCase):
    """SSLVerifyClient require on the first port, optional on the second,
    none on the third (same certificate on all three)."""

    port2 = port3 = None

    @classmethod
    def prepare(cls, server):
        cls.port2, cls.port3 = x0test.free_port(), x0test.free_port()
        ca = 'SSLCACertificateFile %s' % PKI.client_ca.crt
        server.write_config(tls_directives(server.port, cls.port2, cls.port3),
                            tls_vhost(server.port, 'localhost', PKI.a.chain, PKI.a.key,
                                      ['SSLVerifyClient require', ca])
                            + tls_vhost(cls.port2, 'localhost', PKI.a.chain, PKI.a.key,
                                        ['SSLVerifyClient optional', ca])
                            + tls_vhost(cls.port3, 'localhost', PKI.a.chain, PKI.a.key))
        server.write('index.html', INDEX_A)

    def assert_ok(self, r, what):
        self.assertIsInstance(r, x0test.Response, '%s: %r' % (what, r))
        self.assertEqual((r.status, r.body), (200, INDEX_A), what)

    def assert_refused(self, r, what):
        # TLS 1.3: the client's handshake is over before the server checks
        # its (missing) certificate; the alert arrives at the first read.
        if isinstance(r, x0test.Response):
            self.assertNotEqual(r.status, 200, '%s: %r' % (what, r))
        else:
            self.assertNotIn('timed out', str(r), what)

    def test_require(self):
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            ctx = lambda cert=None: client_context(cert=cert, version=version)
            self.assert_ok(outcome(self.port, ctx(PKI.client)), '%s, a good certificate' % version)
            self.assert_refused(outcome(self.port, ctx()), '%s, no certificate' % version)
            self.assert_refused(outcome(self.port, ctx(PKI.stranger)),
                                '%s, a certificate of another CA' % version)
        self.assert_ok(outcome(self.port, client_context(PKI.client)), 'again')

    def test_no_resumption_into_require(self):
        # A session made where no certificate was asked for must not resume
        # where one is required: a resumption skips the certificate exchange.
        for version, name in (('-tls1_3', 'TLSv1.3'), ('-tls1_2', 'TLSv1.2')):
            path = os.path.join(self.server.dir, 'session-none%s.pem' % version)
            self.assertEqual(s_client_session(self.port3, version, '-sess_out', path)[0], 'New')
            self.assertEqual(s_client_session(self.port3, version, '-sess_in', path)[:2],
                             ('Reused', name), 'the session does not even resume where made')
            rc, out = s_client(self.port, '-servername', 'localhost', version, '-sess_in', path,
                               '-ign_eof', send=GET_CLOSE)
            self.assertNotRegex(out, r'(?m)^Reused, ', version)
            self.assertNotIn('HTTP/1.1 200 ', out, version)

    def test_optional(self):
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            self.assert_ok(outcome(self.port2, client_context(version=version)),
                           '%s, no certificate' % version)
            self.assert_ok(outcome(self.port2, client_context(PKI.client, version=version)),
                           '%s, a good certificate' % version)


class TlsConfigErrorTest(unittest.TestCase):
    """x0d -t (and a real start) on a broken certificate or key: exit 1, and
    FILE:LINE: of the directive that names it."""

    def check(self, chain, key, bad_directive):
        srv = Server()
        try:
            directives = tls_directives(srv.port)
            extra = tls_vhost(srv.port, 'localhost', chain, key)
            srv.write_config(directives, extra)
            lines = srv.config_text(directives, extra).split('\n')
            found = [n for n, ln in enumerate(lines, 1)
                     if ln.strip().startswith(bad_directive + ' ')] if bad_directive else []
            p = run_x0d(['-f', srv.conf_path, '-t'])
            out = (p.stdout + p.stderr).decode('utf-8', 'replace')
            if not bad_directive:
                self.assertEqual(p.returncode, 0, out)
                self.assertIn('Syntax OK', out)
                return
            where = '%s:%d:' % (srv.conf_path, found[0])
            self.assertEqual(p.returncode, 1, out)
            self.assertIn(where, p.stderr.decode('utf-8', 'replace'))
            self.assertNotIn('Syntax OK', out)
            try:
                p = run_x0d(['-f', srv.conf_path, '-X'])
            except subprocess.TimeoutExpired:
                self.fail('x0d -X kept running')
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(where, p.stderr.decode('utf-8', 'replace'))
            return out
        finally:
            srv.cleanup()

    def test_good(self):
        self.check(PKI.a.chain, PKI.a.key, None)

    def test_missing_certificate(self):
        self.check(os.path.join(PKI.dir, 'missing.crt'), PKI.a.key, 'SSLCertificateFile')

    def test_key_does_not_match(self):
        self.check(PKI.a.chain, PKI.b.key, 'SSLCertificateKeyFile')

    def test_encrypted_key(self):
        self.check(PKI.encrypted.chain, PKI.encrypted.key, 'SSLCertificateKeyFile')


if __name__ == '__main__':
    unittest.main()
