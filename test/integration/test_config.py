"""x0d's command line and config file: -t, -v, errors with FILE:LINE, PidFile, -d."""

import os
import re
import subprocess
import unittest

import x0test
from x0test import Server, run_x0d


class ConfigTest(unittest.TestCase):

    def setUp(self):
        self.srv = Server()

    def tearDown(self):
        note = self.srv.stop()
        self.srv.cleanup()
        if note:
            self.fail(note)

    def broken(self, lines, bad_line_text):
        """Write a config whose line @bad_line_text (1-based line found by
        text) is wrong; returns that line number."""
        text = self.srv.config_text({}, '')
        text = lines(text)
        with open(self.srv.conf_path, 'w') as f:
            f.write(text)
        found = [n for n, line in enumerate(text.split('\n'), 1)
                 if line.strip() == bad_line_text]
        if not found:
            raise AssertionError('test bug: %r not in config' % bad_line_text)
        return found[-1]

    def check_error(self, lines, bad_line_text):
        line = self.broken(lines, bad_line_text)
        where = '%s:%d:' % (self.srv.conf_path, line)
        # configtest
        p = run_x0d(['-f', self.srv.conf_path, '-t'])
        err = p.stderr.decode('utf-8', 'replace')
        self.assertEqual(p.returncode, 1, 'x0d -t on a config with %r at line %d: '
                         'exit %d, stderr %r' % (bad_line_text, line, p.returncode, err))
        self.assertIn(where, err, 'x0d -t: expected %r in stderr for %r' % (where, bad_line_text))
        self.assertNotIn('Syntax OK', p.stdout.decode() + err)
        # a real start must fail the same way, without serving
        try:
            p = run_x0d(['-f', self.srv.conf_path, '-X'])
        except subprocess.TimeoutExpired:
            self.fail('x0d -X kept running on a config with %r' % bad_line_text)
        err2 = p.stderr.decode('utf-8', 'replace')
        self.assertNotEqual(p.returncode, 0, 'x0d -X started on a config with %r' % bad_line_text)
        self.assertIn(where, err2, 'x0d -X: expected %r in stderr for %r' % (where, bad_line_text))
        return err

    def test_configtest_good(self):
        p = run_x0d(['-f', self.srv.conf_path, '-t'])
        out = (p.stdout + p.stderr).decode('utf-8', 'replace')
        self.assertEqual(p.returncode, 0, out)
        self.assertIn('Syntax OK', out)

    def test_configtest_writes_no_pid_file(self):
        p = run_x0d(['-f', self.srv.conf_path, '-t'])
        self.assertEqual(p.returncode, 0)
        self.assertFalse(os.path.exists(self.srv.pid_file), '-t wrote the PidFile')

    def test_unknown_directive(self):
        self.check_error(lambda t: t.replace('ServerName localhost\n',
                                             'ServerName localhost\nFrobnicate yes\n'),
                         'Frobnicate yes')

    def test_bad_flag_argument(self):
        self.check_error(lambda t: t.replace('KeepAlive On', 'KeepAlive maybe'),
                         'KeepAlive maybe')

    def test_bad_listen_port(self):
        self.check_error(lambda t: re.sub(r'Listen \S+', 'Listen 99999', t),
                         'Listen 99999')

    def test_bad_number(self):
        self.check_error(lambda t: t.replace('KeepAliveTimeout 5', 'KeepAliveTimeout soon'),
                         'KeepAliveTimeout soon')

    def test_missing_document_root(self):
        missing = os.path.join(self.srv.dir, 'no-such-dir')
        self.check_error(lambda t: t.replace('DocumentRoot ' + self.srv.root,
                                             'DocumentRoot ' + missing),
                         'DocumentRoot ' + missing)

    def test_missing_types_config(self):
        missing = os.path.join(self.srv.dir, 'no-such-mime.types')
        self.check_error(lambda t: t.replace('TypesConfig ' + x0test.mime_types_path(),
                                             'TypesConfig ' + missing),
                         'TypesConfig ' + missing)

    def test_missing_argument(self):
        self.check_error(lambda t: t.replace('DirectoryIndex index.html', 'DirectoryIndex'),
                         'DirectoryIndex')

    def test_unclosed_location(self):
        # httpd reports an unclosed section at the line that opened it.
        self.check_error(lambda t: t + '<Location /x>\n    SetHandler x0-hello\n',
                         '<Location /x>')

    def test_stray_close(self):
        self.check_error(lambda t: t + '</Location>\n', '</Location>')

    def test_version(self):
        p = run_x0d(['-v'])
        out = (p.stdout + p.stderr).decode('utf-8', 'replace')
        self.assertEqual(p.returncode, 0, out)
        self.assertRegex(out, r'\d+\.\d+', 'no version number in %r' % out)
        self.assertIn('x0', out.lower())

    def test_pid_file(self):
        self.srv.start()
        # Written after the listeners are bound, renamed into place whole.
        self.assertTrue(x0test.wait_for(lambda: os.path.exists(self.srv.pid_file),
                                        x0test.START_TIMEOUT), 'no PidFile')
        with open(self.srv.pid_file) as f:
            content = f.read()
        self.assertEqual(content.strip(), str(self.srv.pid), 'PidFile content %r' % content)
        self.assertIsNone(self.srv.stop())
        self.assertFalse(os.path.exists(self.srv.pid_file),
                         'PidFile %s still there after SIGTERM' % self.srv.pid_file)

    def test_relative_paths_use_server_root(self):
        # -d SERVERROOT: relative DocumentRoot/ErrorLog/PidFile and -f resolve against it.
        os.mkdir(os.path.join(self.srv.dir, 'logs'))
        self.srv.write('index.html', b'served from the server root\n')
        self.srv.write_config({'DocumentRoot': 'htdocs', 'ErrorLog': 'logs/error.log',
                               'PidFile': 'logs/x0d.pid'})
        cmd_conf = os.path.basename(self.srv.conf_path)
        self.srv.command = lambda: [x0test.x0d_binary(), '-f', cmd_conf, '-X',
                                    '-d', self.srv.dir]
        self.srv.error_log = os.path.join(self.srv.dir, 'logs', 'error.log')
        self.srv.cwd = '/'   # so that only -d can make the relative paths work
        self.srv.start()
        r = x0test.fetch(self.srv.port, '/index.html')
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b'served from the server root\n')
        self.assertTrue(os.path.exists(os.path.join(self.srv.dir, 'logs', 'x0d.pid')))


if __name__ == '__main__':
    unittest.main()
