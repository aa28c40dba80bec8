"""Process control as httpd's: x0d -k, the signal map, the default PidFile,
a reload that is refused, User/Group, sd_notify (docs/operations.md)."""

import os
import grp
import pwd
import shutil
import signal
import socket
import subprocess
import time
import unittest

import x0test
from x0test import Server, wait_for

INDEX = b'<html>process control</html>\n'




def run_k(srv, command, *extra, timeout=60):
    """x0d -k COMMAND for @srv's configuration, to completion."""
    return x0test.run_x0d(['-f', srv.conf_path, '-k', command] + list(extra), timeout=timeout)


def read_pid(path):
    with open(path) as f:
        return int(f.read().strip())


def uid_of(pid):
    """The real uid of @pid."""
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('Uid:'):
                return int(line.split()[1])
    raise AssertionError('no Uid line for %d' % pid)


class MasterCase(unittest.TestCase):
    """A master with 2 workers, stopped (and its workers checked) after each test."""

    directives = {'Workers': '2'}

    def setUp(self):
        self.srv = Server(dict(self.directives), files={'index.html': INDEX}, foreground=False)
        self.addCleanup(self.srv.cleanup)
        self.seen = set()
        self.master_gone = False
        self.srv.start()

    def tearDown(self):
        if x0test.test_failed(self):
            print('\n' + self.srv.logs())
        note = x0test.end_stray_workers(self.seen, self.srv.stop(expect_exited=self.master_gone))
        if note:
            self.fail(note + '\n' + self.srv.logs())

    def workers(self):
        ws = x0test.children_of(self.srv.pid)
        self.seen.update(ws)
        return ws

    def generation(self, n=2, other_than=()):
        """Wait for @n workers, none of them in @other_than; returns their pids."""
        ws = wait_for(lambda: (lambda w: len(w) == n and not set(w) & set(other_than) and w)(
            self.workers()), 15)
        self.assertTrue(ws, 'expected %d workers other than %r, have %r\n%s'
                        % (n, list(other_than), self.workers(), self.srv.logs()))
        return ws

    def serve(self, n=5):
        for i in range(n):
            r = x0test.fetch(self.srv.port, '/index.html')
            self.assertEqual((r.status, r.body), (200, INDEX), 'request %d' % i)

    def all_gone(self, pids, timeout=10):
        return wait_for(lambda: not any(x0test.process_alive(p) for p in pids), timeout)


class SignalsTest(MasterCase):

    def test_usr1_is_a_graceful_restart(self):
        old = self.generation()
        os.kill(self.srv.pid, signal.SIGUSR1)
        new = self.generation(other_than=old)
        self.assertTrue(self.all_gone(old), 'the old workers %r did not exit' % old)
        self.assertTrue(self.srv.alive(), 'USR1 ended the master')
        self.serve()

    def test_hup_is_a_restart(self):
        old = self.generation()
        os.kill(self.srv.pid, signal.SIGHUP)
        self.generation(other_than=old)
        self.assertTrue(self.all_gone(old), 'the old workers %r did not exit' % old)
        self.assertTrue(self.srv.alive(), 'HUP ended the master')
        self.serve()

    def test_graceful_restart_answers_the_keepalive_connection(self):
        """Requests that keep coming on a keep-alive connection while the
        restart happens are all answered; the old worker ends the
        connection with `Connection: close` on a response, not under a
        request."""
        old = self.generation()
        c = self.srv.conn()
        c.request('GET', '/index.html')
        self.assertEqual(c.read_response().status, 200)
        os.kill(self.srv.pid, signal.SIGUSR1)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            c.request('GET', '/index.html')
            r = c.read_response()
            self.assertEqual((r.status, r.body), (200, INDEX))
            if 'close' in r.tokens('Connection'):
                break
        else:
            self.fail('no Connection: close within 20 s of USR1')
        self.assertIsNotNone(c.wait_closed(5), 'the old worker kept the connection open')
        c.close()
        self.generation(other_than=old)
        self.assertTrue(self.all_gone(old))

    def test_winch_is_a_graceful_stop(self):
        self.srv.write('big.bin', b'x' * (8 << 20))
        ws = self.generation()
        c = x0test.Conn(self.srv.port, rcvbuf=65536)
        c.request('GET', '/big.bin')
        head = c.read_head()
        self.assertEqual(head.status, 200)
        self.master_gone = True
        os.kill(self.srv.pid, signal.SIGWINCH)
        # new connections are refused once every copy of the listener is closed
        refused = wait_for(lambda: not self.connects(), 10)
        self.assertTrue(refused, 'still accepting after WINCH')
        body = c._read_exact(8 << 20, 'the download begun before WINCH')
        self.assertEqual(len(body), 8 << 20)
        c.close()
        self.srv.proc.wait(15)
        self.assertEqual(self.srv.proc.returncode, 0)
        self.assertTrue(self.all_gone(ws))
        self.assertFalse(os.path.exists(self.srv.pid_file), 'PidFile left behind')

    def connects(self):
        try:
            socket.create_connection(('127.0.0.1', self.srv.port), 1).close()
            return True
        except OSError:
            return False

    def test_term_stops_and_cuts_after_a_grace(self):
        self.srv.write('big.bin', b'x' * (32 << 20))
        ws = self.generation()
        c = x0test.Conn(self.srv.port, rcvbuf=32768)
        c.request('GET', '/big.bin')
        self.assertEqual(c.read_head().status, 200)
        self.master_gone = True
        start = time.monotonic()
        os.kill(self.srv.pid, signal.SIGTERM)
        self.srv.proc.wait(10)
        took = time.monotonic() - start
        self.assertEqual(self.srv.proc.returncode, 0)
        self.assertLess(took, 5, 'a stalled download held the stop for %.1f s' % took)
        self.assertTrue(self.all_gone(ws))
        c.close()


class ControlTest(MasterCase):

    def test_k_graceful(self):
        old = self.generation()
        p = run_k(self.srv, 'graceful')
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertIn(b'generation 2', p.stdout)
        # the new generation was ready when -k graceful returned
        new = [w for w in self.workers() if w not in old]
        self.assertEqual(len(new), 2, 'new workers after -k graceful: %r' % self.workers())
        self.serve()
        self.assertTrue(self.all_gone(old))

    def test_k_restart(self):
        old = self.generation()
        p = run_k(self.srv, 'restart')
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.generation(other_than=old)
        self.serve()

    def broken(self, extra, expect):
        """A reload with @extra in the configuration is refused with @expect."""
        old = self.generation()
        good = self.srv.config_text(dict(self.directives), '')
        with open(self.srv.conf_path, 'a') as f:
            f.write(extra)
        try:
            p = run_k(self.srv, 'graceful')
            self.assertEqual(p.returncode, 1, 'x0d -k graceful accepted a broken configuration')
            self.assertIn(expect.encode(), p.stderr)
            # signalled directly, the master refuses as well
            refusals = self.srv.logs(limit=1 << 20).count('refused')
            os.kill(self.srv.pid, signal.SIGUSR1)
            self.assertTrue(wait_for(lambda: self.srv.logs(limit=1 << 20).count('refused')
                                     > refusals, 10), 'the master did not say it refused')
            self.assertEqual(self.workers(), old, 'the workers changed')
            self.serve()
        finally:
            with open(self.srv.conf_path, 'w') as f:
                f.write(good)
        p = run_k(self.srv, 'graceful')
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.generation(other_than=old)
        self.serve()
        return p

    def test_syntax_error_refused(self):
        lines = self.srv.config_text(dict(self.directives), '').count('\n')
        self.broken('NoSuchDirective on\n', '%s:%d: Invalid command' % (self.srv.conf_path,
                                                                        lines + 1))

    def test_missing_module_refused(self):
        self.broken('LoadModule nothing_module modules/mod_nothing.so\n', 'cannot load')

    def test_port_in_use_refused(self):
        """A port only the master can find busy: the -k caller's own test
        does not bind, the master's does, and its answer comes back."""
        blocker = socket.socket()
        blocker.bind(('127.0.0.1', 0))
        blocker.listen(1)
        try:
            port = blocker.getsockname()[1]
            lines = self.srv.config_text(dict(self.directives), '').count('\n')
            self.broken('Listen 127.0.0.1:%d\n' % port,
                        '%s:%d: could not bind to 127.0.0.1:%d' % (self.srv.conf_path,
                                                                    lines + 1, port))
        finally:
            blocker.close()

    def test_listener_added_and_dropped(self):
        old = self.generation()
        extra = x0test.free_port()
        with open(self.srv.conf_path, 'a') as f:
            f.write('Listen 127.0.0.1:%d\n' % extra)
        p = run_k(self.srv, 'graceful')
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        r = x0test.fetch(extra, '/index.html')
        self.assertEqual(r.body, INDEX)
        self.serve()
        self.srv.write_config(dict(self.directives))
        p = run_k(self.srv, 'graceful')
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertTrue(self.all_gone(old))
        gone = wait_for(lambda: self.refused(extra), 10)
        self.assertTrue(gone, 'port %d still accepts after its Listen was removed' % extra)
        self.serve()

    def refused(self, port):
        try:
            socket.create_connection(('127.0.0.1', port), 1).close()
            return False
        except OSError:
            return True

    def test_module_reloaded_from_its_file(self):
        """A graceful restart unloads the old configuration's shared objects
        and maps the .so file again: a rebuilt module is picked up."""
        src = x0test.module_path('hello')
        if not src:
            self.skipTest('mod_hello is built into x0d')
        mods = os.path.join(self.srv.dir, 'mods')
        os.mkdir(mods)
        so = os.path.join(mods, 'mod_hello.so')
        shutil.copy(src, so)
        self.srv.write_config(dict(self.directives, LoadModule=[
            l for l in x0test.load_module_lines() if not l.startswith('hello_module')]
            + ['hello_module %s' % so]))
        self.assertEqual(run_k(self.srv, 'graceful').returncode, 0)
        before = os.stat(so).st_ino
        self.assertEqual(self.mapped_inodes(so), {before})
        shutil.copy(src, so + '.new')
        os.rename(so + '.new', so)  # a new file (inode), as make install does
        p = run_k(self.srv, 'graceful')
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(self.mapped_inodes(so), {os.stat(so).st_ino})
        self.assertEqual(x0test.fetch(self.srv.port, '/hello').status, 200)

    def mapped_inodes(self, path):
        with open('/proc/%d/maps' % self.srv.pid) as f:
            return {int(l.split()[4]) for l in f if l.rstrip().endswith(path)}

    def test_k_stop(self):
        ws = self.generation()
        self.master_gone = True
        p = run_k(self.srv, 'stop')
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.srv.proc.wait(5)
        self.assertTrue(self.all_gone(ws, 1), '-k stop returned before the workers exited')
        self.assertFalse(os.path.exists(self.srv.pid_file))

    def test_k_graceful_stop(self):
        ws = self.generation()
        self.master_gone = True
        p = run_k(self.srv, 'graceful-stop')
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.srv.proc.wait(5)
        self.assertTrue(self.all_gone(ws, 1))

    def test_k_start_when_running(self):
        p = run_k(self.srv, 'start')
        self.assertEqual(p.returncode, 1)
        self.assertIn(b'already running', p.stderr)


class StartTest(unittest.TestCase):
    """x0d -k start (in the background) and the default PidFile."""

    def setUp(self):
        self.srv = Server({'PidFile': None, 'Workers': '1'}, files={'index.html': INDEX})
        self.addCleanup(self.srv.cleanup)
        os.mkdir(os.path.join(self.srv.dir, 'logs'))
        self.pid_file = os.path.join(self.srv.dir, 'logs', 'x0d.pid')
        self.args = ['-d', self.srv.dir, '-f', self.srv.conf_path]
        self.addCleanup(self.kill_left_over)

    def kill_left_over(self):
        try:
            pid = read_pid(self.pid_file)
        except (OSError, ValueError):
            return
        if x0test.process_alive(pid):
            for w in x0test.children_of(pid):
                os.kill(w, signal.SIGKILL)
            os.kill(pid, signal.SIGKILL)
            self.fail('x0d (pid %d) was still running' % pid)

    @unittest.skipIf(x0test.WRAPPER, "valgrind keeps its own copy of the caller's stderr in the "
                     "daemon, so the caller's pipe never reaches end-of-file")
    def test_k_start_daemonizes_with_default_pid_file(self):
        p = x0test.run_x0d(self.args + ['-k', 'start'], timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        pid = read_pid(self.pid_file)
        self.assertTrue(x0test.process_alive(pid))
        self.assertNotEqual(x0test.proc_stat(pid)[1], os.getpid(), 'not in the background')
        # -k start returned once the workers accept: no waiting here
        self.assertEqual(x0test.fetch(self.srv.port, '/index.html').body, INDEX)
        p = x0test.run_x0d(self.args + ['-k', 'stop'], timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertFalse(x0test.process_alive(pid))
        self.assertFalse(os.path.exists(self.pid_file))
        p = x0test.run_x0d(self.args + ['-k', 'stop'], timeout=30)
        self.assertIn(b'not running', p.stderr)

    def test_foreground_define(self):
        self.srv.args = ['-d', self.srv.dir, '-k', 'start', '-D', 'FOREGROUND']
        self.srv.foreground = False
        self.srv.start()
        try:
            # The port takes connections once bound, a moment before the
            # PidFile is written.
            self.assertTrue(wait_for(lambda: os.path.exists(self.pid_file), 30), 'no PidFile')
            self.assertEqual(read_pid(self.pid_file), self.srv.pid, 'left the foreground')
        finally:
            self.assertIsNone(self.srv.stop())
        self.assertFalse(os.path.exists(self.pid_file))


@unittest.skipUnless(os.geteuid() == 0, 'needs root')
class UserTest(unittest.TestCase):

    def test_workers_drop_to_user_master_stays_root(self):
        nobody = pwd.getpwnam('nobody')
        group = grp.getgrgid(nobody.pw_gid).gr_name
        srv = Server({'User': 'nobody', 'Group': group, 'Workers': '1'}, foreground=False)
        self.addCleanup(srv.cleanup)
        os.chmod(srv.dir, 0o755)
        srv.start()
        try:
            ws = wait_for(lambda: x0test.children_of(srv.pid), 10)
            self.assertTrue(ws)
            # the answer comes from the worker, which drops root before it accepts
            r = x0test.fetch(srv.port, '/hello')
            self.assertEqual(r.status, 200)
            self.assertEqual(uid_of(srv.pid), 0, 'the master gave up root')
            self.assertEqual(uid_of(ws[0]), nobody.pw_uid)
            # a graceful restart re-binds nothing it has, and the new
            # worker drops privileges too
            os.kill(srv.pid, signal.SIGUSR1)
            # (the reload's test, an x0d -t, is a child of the master for a moment)
            new = wait_for(lambda: (lambda c: len(c) == 1 and c[0] not in ws and c)(
                x0test.children_of(srv.pid)), 15)
            self.assertTrue(new, 'children: %r' % x0test.children_of(srv.pid))
            self.assertEqual(uid_of(new[0]), nobody.pw_uid)
        finally:
            self.assertIsNone(srv.stop())

    def test_root_without_user_refused(self):
        srv = Server({'User': None})
        self.addCleanup(srv.cleanup)
        p = x0test.run_x0d(['-f', srv.conf_path, '-X'], timeout=10)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b'has no User', p.stderr)
        # -t still says what the syntax is; only a start refuses
        p = x0test.run_x0d(['-f', srv.conf_path, '-t'], timeout=10)
        self.assertEqual(p.returncode, 0, p.stderr.decode())

    def test_user_root_written_out_warns(self):
        srv = Server({'User': 'root'})
        self.addCleanup(srv.cleanup)
        srv.start()
        self.assertIsNone(srv.stop())
        self.assertIn('the workers run as root', srv.logs())

    def test_unknown_user_is_a_config_error(self):
        srv = Server({'User': 'no-such-user-x0'})
        self.addCleanup(srv.cleanup)
        p = x0test.run_x0d(['-f', srv.conf_path, '-t'], timeout=10)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"User: no such user 'no-such-user-x0'", p.stderr)
        self.assertIn(srv.conf_path.encode() + b':', p.stderr)


class SdNotifyTest(unittest.TestCase):
    """NOTIFY_SOCKET: an abstract datagram socket stands in for systemd."""

    def test_ready_reloading_stopping(self):
        name = 'x0test-notify-%d' % os.getpid()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind('\0' + name)
        sock.settimeout(20)
        self.addCleanup(sock.close)
        srv = Server({'Workers': '1'}, foreground=False)
        self.addCleanup(srv.cleanup)
        os.environ['NOTIFY_SOCKET'] = '@' + name
        try:
            srv.start(wait=False)
        finally:
            del os.environ['NOTIFY_SOCKET']
        try:
            msg = sock.recv(4096).decode()
            self.assertIn('READY=1', msg.split('\n'))
            self.assertIn('MAINPID=%d' % srv.pid, msg.split('\n'))
            # READY=1 came once a worker accepts
            self.assertEqual(x0test.fetch(srv.port, '/hello').status, 200)
            os.kill(srv.pid, signal.SIGUSR1)
            self.assertIn('RELOADING=1', sock.recv(4096).decode().split('\n'))
            self.assertIn('READY=1', sock.recv(4096).decode().split('\n'))
            srv.proc.send_signal(signal.SIGTERM)
            self.assertIn('STOPPING=1', sock.recv(4096).decode().split('\n'))
            srv.proc.wait(10)
        finally:
            self.assertIsNone(srv.stop(expect_exited=True))


if __name__ == '__main__':
    unittest.main()
