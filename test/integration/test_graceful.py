"""Graceful restarts under load (issue 8, "proof under load").

While a pool of python3 clients sends keep-alive GETs and POSTs, x0d gets 20
graceful restarts in a row (`x0d -k graceful`, each returning once the new
generation accepts); in the middle, a restart with a broken configuration
is refused, by the -k caller and by the master, and serving goes on. No
response may fail, be reset or come short; a 1 GiB download begun before
the first restart arrives whole; afterwards the workers and the master's
file descriptors are back at their baseline.

The download is a sparse file with its offset written at the start of every
MiB. Each MiB received is compared with what it must be, as it arrives:
an exact check of every byte and of the order, cheaper than hashing 1 GiB
in python (sha256 alone would say only that something differs). It is
read in step with the restarts (1/20 of it per restart), so that it spans
all of them: the old worker that sends it lives through 20 generations.
"""

import os
import random
import signal
import threading
import time
import unittest

import x0test
from x0test import Server, wait_for

INDEX = b'<html>graceful</html>\n' * 20
BIG_SIZE = 1 << 30
BLOCK = 1 << 20
RESTARTS = 20
BROKEN_AT = 10
CLIENTS = 6
# The whole test must stay far below CI's budget; a generous bound per step.
STEP_TIMEOUT = 60




def expected_block(i):
    block = bytearray(BLOCK)
    marker = b'%016x' % (i * BLOCK)
    block[:len(marker)] = marker
    return bytes(block)


def make_big_file(path):
    """1 GiB, sparse: only the markers take disk space."""
    with open(path, 'wb') as f:
        f.truncate(BIG_SIZE)
        for i in range(BIG_SIZE // BLOCK):
            f.seek(i * BLOCK)
            f.write(b'%016x' % (i * BLOCK))


class Load:
    """CLIENTS threads, each on a keep-alive connection, GET and POST in turn."""

    def __init__(self, port):
        self.port = port
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.done = 0
        self.reconnects = 0
        self.failures = []
        self.threads = [threading.Thread(target=self.client, args=(n,), daemon=True)
                        for n in range(CLIENTS)]

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(STEP_TIMEOUT)

    def fail(self, what):
        with self.lock:
            self.failures.append(what)

    def client(self, n):
        rng = random.Random(n)
        conn = None
        while not self.stop.is_set():
            try:
                if conn is None:
                    conn = x0test.Conn(self.port, timeout=30)
                    with self.lock:
                        self.reconnects += 1
                if rng.random() < 0.5:
                    conn.request('GET', '/index.html')
                    r = conn.read_response()
                    want = INDEX
                else:
                    want = os.urandom(rng.randrange(1, 40000))
                    conn.request('POST', '/echo', body=want,
                                 headers={'Content-Length': str(len(want))})
                    r = conn.read_response()
                if r.status != 200 or r.body != want:
                    self.fail('client %d: status %d, %d of %d bytes'
                              % (n, r.status, len(r.body), len(want)))
                with self.lock:
                    self.done += 1
                if 'close' in r.tokens('Connection'):
                    conn.close()
                    conn = None
            except Exception as e:  # a reset, a short body, a timeout: all failures
                self.fail('client %d: %s: %s' % (n, type(e).__name__, e))
                if conn:
                    conn.close()
                conn = None
        if conn:
            conn.close()


class Download:
    """GET the big file; read 1/RESTARTS of it per restart, checking each MiB."""

    def __init__(self, port):
        self.port = port
        self.allowed = 0          # blocks it may read so far
        self.received = 0         # blocks checked
        self.error = None
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def allow(self, blocks):
        with self.cond:
            self.allowed = blocks
            self.cond.notify_all()

    def run(self):
        try:
            c = x0test.Conn(self.port, timeout=STEP_TIMEOUT, rcvbuf=1 << 18)
            c.request('GET', '/big.bin')
            r = c.read_head()
            if r.status != 200 or r.header('Content-Length') != str(BIG_SIZE):
                raise AssertionError('big.bin: %d, Content-Length %s'
                                     % (r.status, r.header('Content-Length')))
            for i in range(BIG_SIZE // BLOCK):
                with self.cond:
                    if not self.cond.wait_for(lambda: self.allowed > i, STEP_TIMEOUT * 3):
                        raise AssertionError('not allowed to read block %d' % i)
                data = c._read_exact(BLOCK, 'block %d of big.bin' % i)
                if data != expected_block(i):
                    raise AssertionError('block %d of big.bin differs' % i)
                self.received = i + 1
            c.close()
        except Exception as e:
            self.error = '%s: %s' % (type(e).__name__, e)


def fd_count(pid):
    return len(os.listdir('/proc/%d/fd' % pid))


class GracefulUnderLoadTest(unittest.TestCase):

    def setUp(self):
        self.srv = Server({'Workers': '2'}, files={'index.html': INDEX},
                          extra='<Location /echo>\n    SetHandler echo\n</Location>\n',
                          foreground=False)
        self.addCleanup(self.srv.cleanup)
        make_big_file(self.srv.path('big.bin'))
        self.good_config = self.srv.config_text({'Workers': '2'},
                                                '<Location /echo>\n    SetHandler echo\n'
                                                '</Location>\n')
        self.srv.start()
        self.seen = set()

    def tearDown(self):
        if x0test.test_failed(self):
            print('\n' + self.srv.logs())
        note = self.srv.stop()
        stray = [w for w in self.seen if x0test.process_alive(w)]
        for w in stray:
            os.kill(w, signal.SIGKILL)
        if stray:
            note = (note or '') + ' workers %r outlived the master' % stray
        if note:
            self.fail(note)

    def workers(self):
        ws = x0test.children_of(self.srv.pid)
        self.seen.update(ws)
        return ws

    def graceful(self):
        return x0test.run_x0d(['-f', self.srv.conf_path, '-k', 'graceful'],
                              timeout=STEP_TIMEOUT)

    def test_twenty_graceful_restarts_under_load(self):
        baseline = wait_for(lambda: len(self.workers()) == 2 and self.workers(), 10)
        self.assertTrue(baseline, 'no 2 workers at the start')
        baseline_fds = fd_count(self.srv.pid)

        load = Load(self.srv.port)
        download = Download(self.srv.port)
        load.start()
        download.thread.start()
        download.allow(1)
        self.assertTrue(wait_for(lambda: download.received >= 1 or download.error, 30),
                        'the download did not start')
        self.assertIsNone(download.error)
        per_restart = BIG_SIZE // BLOCK // RESTARTS
        generations = 1
        try:
            for i in range(RESTARTS):
                if i == BROKEN_AT:
                    self.refused_restart(load)
                before = load.done
                p = self.graceful()
                self.assertEqual(p.returncode, 0, 'restart %d: %s' % (i, p.stderr.decode()))
                generations += 1
                self.assertIn(b'generation %d' % generations, p.stdout)
                download.allow(min((i + 1) * per_restart + 1, BIG_SIZE // BLOCK))
                # the clients get answers from this generation before the next one
                self.assertTrue(wait_for(lambda: load.done >= before + 2 * CLIENTS
                                         or load.failures, STEP_TIMEOUT),
                                'no progress after restart %d' % i)
                self.assertEqual(load.failures, [], 'after restart %d' % i)
                self.assertIsNone(download.error)
            download.allow(BIG_SIZE // BLOCK)
        finally:
            load.finish()
            download.allow(BIG_SIZE // BLOCK)
            download.thread.join(STEP_TIMEOUT * 3)

        self.assertEqual(load.failures, [])
        self.assertIsNone(download.error)
        self.assertEqual(download.received, BIG_SIZE // BLOCK, 'the download came short')
        self.assertGreater(load.done, RESTARTS * 2 * CLIENTS)
        back = wait_for(lambda: len(self.workers()) == 2, STEP_TIMEOUT)
        self.assertTrue(back, 'workers after the restarts: %r' % self.workers())
        self.assertFalse(set(self.workers()) & set(baseline), 'a first-generation worker lives')
        # Under valgrind the count also holds valgrind's own descriptors,
        # which come and go (13 at the start, 11 after, in one run): there
        # only a count above the baseline says x0 leaked.
        back_to_baseline = ((lambda n: n <= baseline_fds) if x0test.WRAPPER
                            else (lambda n: n == baseline_fds))
        self.assertTrue(wait_for(lambda: back_to_baseline(fd_count(self.srv.pid)), 10),
                        'the master has %d fds, %d at the start'
                        % (fd_count(self.srv.pid), baseline_fds))
        print('\n%d responses over %d connections, %d restarts; 1 GiB download whole'
              % (load.done, load.reconnects, RESTARTS))

    def refused_restart(self, load):
        """A broken configuration: -k graceful refuses before signalling, and
        the master refuses a SIGUSR1; the workers stay and keep serving."""
        workers = self.workers()
        with open(self.srv.conf_path, 'a') as f:
            f.write('NoSuchDirective here\n')
        try:
            p = self.graceful()
            self.assertEqual(p.returncode, 1, 'a broken configuration was accepted')
            self.assertIn(b'%s:' % self.srv.conf_path.encode(), p.stderr)
            self.assertIn(b"Invalid command 'NoSuchDirective'", p.stderr)
            refusals = self.srv.logs(limit=1 << 22).count('refused')
            before = load.done
            os.kill(self.srv.pid, signal.SIGUSR1)
            self.assertTrue(wait_for(lambda: self.srv.logs(limit=1 << 22).count('refused')
                                     > refusals, STEP_TIMEOUT), 'the master did not refuse')
            self.assertTrue(wait_for(lambda: load.done >= before + 2 * CLIENTS
                                     or load.failures, STEP_TIMEOUT), 'serving stopped')
            self.assertEqual(load.failures, [])
            self.assertEqual(set(self.workers()) - set(workers), set(),
                             'a refused restart started workers')
        finally:
            with open(self.srv.conf_path, 'w') as f:
                f.write(self.good_config)


if __name__ == '__main__':
    unittest.main()
