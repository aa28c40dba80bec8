"""LoadModule refuses modules built wrong, at configuration time, naming the
file and line, the object, and for an ABI mismatch both versions.

The modules are compiled here from test/modules/ with nothing but cc (or
c++), -shared -fPIC, the source tree's include/ and APR's flags: the same
way a module author builds one. Messages are pinned to src/modules.cc and
src/module_loader.cc.
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

import x0test
from x0test import Server, run_x0d


def abi_version():
    """(X0_ABI_MAJOR, X0_ABI_MINOR) from the headers x0d was built with."""
    with open(os.path.join(x0test.srcdir(), 'include', 'x0', 'module.h')) as f:
        text = f.read()
    major = re.search(r'^#define X0_ABI_MAJOR\s+(\d+)', text, re.M)
    minor = re.search(r'^#define X0_ABI_MINOR\s+(\d+)', text, re.M)
    return int(major.group(1)), int(minor.group(1))


ABI_MAJOR, ABI_MINOR = abi_version()
BUILD = None  # the temporary directory with the compiled modules


def compile_module(out, source, defines=(), cxx=False):
    """Compile test/modules/@source into BUILD/@out; returns its path."""
    src = os.path.join(x0test.srcdir(), 'test', 'modules', source)
    path = os.path.join(BUILD, out)
    apr = subprocess.run(['pkg-config', '--cflags', 'apr-1', 'apr-util-1'],
                         capture_output=True, text=True, check=True).stdout.split()
    compiler = os.environ.get('CXX', 'c++') if cxx else os.environ.get('CC', 'cc')
    cmd = (compiler.split() + ['-shared', '-fPIC', '-fvisibility=hidden', '-Wall', '-o', path,
                               '-I' + os.path.join(x0test.srcdir(), 'include')]
           + apr + ['-D' + d for d in defines] + [src])
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError('cannot compile %s:\n%s\n%s' % (source, ' '.join(cmd), p.stderr))
    return path


def setUpModule():
    global BUILD
    if not shutil.which('pkg-config'):
        raise unittest.SkipTest('pkg-config is not installed')
    BUILD = tempfile.mkdtemp(prefix='x0test-modules-')
    compile_module('mod_good.so', 'mod_good.c')
    compile_module('mod_major.so', 'mod_abi.c', ['MAJOR_DELTA=1'])
    compile_module('mod_minor.so', 'mod_abi.c', ['MINOR_DELTA=1'])
    compile_module('mod_magic.so', 'mod_abi.c', ['MAGIC=0xdeadbeef'])
    compile_module('mod_nosym.so', 'mod_nosym.c')
    compile_module('mod_internal.so', 'mod_internal.cc', cxx=True)


def tearDownModule():
    if BUILD and not os.environ.get('X0TEST_KEEP'):
        shutil.rmtree(BUILD, ignore_errors=True)


def so(name):
    return os.path.join(BUILD, name)


class LoadModuleTest(unittest.TestCase):

    def setUp(self):
        self.srv = Server()

    def tearDown(self):
        note = self.srv.stop()
        self.srv.cleanup()
        if note:
            self.fail(note)

    def write_config(self, load_lines, extra=''):
        """The harness's config with @load_lines added to its LoadModule
        lines; returns the 1-based line number of each added line."""
        self.srv.write_config({'LoadModule': x0test.load_module_lines() + load_lines}, extra)
        with open(self.srv.conf_path) as f:
            lines = f.read().split('\n')
        numbers = []
        for text in load_lines:  # the same line may be there twice
            start = numbers[-1] if numbers else 0
            numbers.append(lines.index('LoadModule ' + text, start) + 1)
        return numbers

    def refused(self, load_lines, message, at=0):
        """x0d -t (and a start) fails with FILE:LINE: @message, the line
        being that of load_lines[@at]. @message: a string that must follow
        'FILE:LINE: ' exactly, or a compiled regex for the rest of the line."""
        numbers = self.write_config(load_lines)
        where = '%s:%d: ' % (self.srv.conf_path, numbers[at])
        for args in (['-t'], ['-X']):
            p = run_x0d(['-f', self.srv.conf_path] + args)
            err = p.stderr.decode('utf-8', 'replace')
            self.assertNotEqual(p.returncode, 0, 'x0d %s loaded %r\n%s' % (args, load_lines, err))
            self.assertNotIn('Syntax OK', err)
            lines = [ln for ln in err.split('\n') if ln.startswith(where)]
            self.assertEqual(len(lines), 1, 'x0d %s: expected one line starting %r in\n%s'
                             % (args, where, err))
            rest = lines[0][len(where):]
            if isinstance(message, str):
                self.assertEqual(rest, message)
            else:
                self.assertRegex(rest, message)
        return rest

    # -- refused

    def test_abi_major_mismatch(self):
        path = so('mod_major.so')
        self.refused(['abi_module ' + path],
                     '%s was built for x0 module ABI %d.%d, but this x0d has ABI %d.%d: '
                     'rebuild the module against this x0'
                     % (path, ABI_MAJOR + 1, ABI_MINOR, ABI_MAJOR, ABI_MINOR))

    def test_abi_newer_minor(self):
        path = so('mod_minor.so')
        self.refused(['abi_module ' + path],
                     '%s was built for x0 module ABI %d.%d, but this x0d has ABI %d.%d: '
                     'rebuild the module against this x0'
                     % (path, ABI_MAJOR, ABI_MINOR + 1, ABI_MAJOR, ABI_MINOR))

    def test_bad_magic(self):
        path = so('mod_magic.so')
        self.refused(['abi_module ' + path],
                     '%s is not an x0 module (bad magic number 0xdeadbeef)' % path)

    def test_missing_symbol(self):
        path = so('mod_nosym.so')
        self.refused(['nosym_module ' + path],
                     re.compile(r'^cannot find module nosym_module in %s: .*nosym_module.* '
                                r'\(is it an x0 module, and is the name right\?\)$'
                                % re.escape(path)))

    def test_missing_file(self):
        path = os.path.join(BUILD, 'mod_nothere.so')
        self.refused(['nothere_module ' + path],
                     re.compile(r'^cannot load %s: .*No such file or directory'
                                % re.escape(path)))

    def test_internal_symbol(self):
        """x0d exports only X0_API: a module that uses anything else does
        not load at all (RTLD_NOW), instead of failing at its first call."""
        path = so('mod_internal.so')
        self.refused(['internal_module ' + path],
                     re.compile(r'^cannot load %s: .*undefined symbol: _ZN2x011server_rootEv'
                                % re.escape(path)))

    def test_loaded_twice(self):
        path = so('mod_good.so')
        self.refused(['good_module ' + path, 'good_module ' + path],
                     'module good_module is already loaded from %s' % path, at=1)

    def test_built_in_module_loaded(self):
        self.refused(['core_module ' + so('mod_good.so')],
                     'module core_module is already loaded (built in)')

    # -- accepted

    def test_good_module(self):
        self.write_config(['good_module ' + so('mod_good.so')],
                          '<Location /good>\n    SetHandler good\n</Location>\n')
        p = run_x0d(['-f', self.srv.conf_path, '-t'])
        self.assertEqual(p.returncode, 0, p.stderr.decode('utf-8', 'replace'))
        self.assertIn('Syntax OK', p.stderr.decode())
        p = run_x0d(['-f', self.srv.conf_path, '-M'])
        self.assertEqual(p.returncode, 0, p.stderr.decode('utf-8', 'replace'))
        listing = p.stdout.decode().split('\n')
        self.assertIn(' good_module (shared)', listing)
        self.assertIn(' core_module (static)', listing)
        # and it serves
        self.srv.start()
        r = x0test.fetch(self.srv.port, '/good')
        self.assertEqual((r.status, r.body, r.header('Content-Length')), (200, b'good\n', '5'))


if __name__ == '__main__':
    unittest.main()
