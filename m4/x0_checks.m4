# x0's dependency checks. Each one stops with the Debian package to install.

AC_DEFUN([AX_CXX_STD17], [
  AX_SAVE_CXXFLAGS="$CXXFLAGS"
  CXXFLAGS="$CXXFLAGS -std=c++17"
  AC_MSG_CHECKING([whether $CXX supports C++17])
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <optional>]], [[std::optional<int> o; return o.has_value();]])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no]); AC_MSG_ERROR([a C++17 compiler is required (apt-get install g++)])])
  CXXFLAGS="$AX_SAVE_CXXFLAGS"
])

AC_DEFUN([X0_CHECK_APR], [
  PKG_CHECK_MODULES([APR], [apr-1 >= 1.6], [],
    [AC_MSG_ERROR([APR not found: apt-get install libapr1-dev])])
  PKG_CHECK_MODULES([APU], [apr-util-1 >= 1.6], [],
    [AC_MSG_ERROR([APR-util not found: apt-get install libaprutil1-dev])])
])

dnl libev ships no .pc file on Debian.
AC_DEFUN([X0_CHECK_LIBEV], [
  AC_CHECK_HEADER([ev.h], [],
    [AC_MSG_ERROR([libev headers not found: apt-get install libev-dev])])
  AC_CHECK_LIB([ev], [ev_loop_new], [EV_LIBS=-lev],
    [AC_MSG_ERROR([libev not found: apt-get install libev-dev])])
  AC_SUBST([EV_LIBS])
])

AC_DEFUN([X0_CHECK_CPPUTEST], [
  PKG_CHECK_MODULES([CPPUTEST], [cpputest], [],
    [AC_MSG_ERROR([CppUTest not found: apt-get install cpputest])])
])

AC_DEFUN([X0_CHECK_TEST_TOOLS], [
  AC_PATH_PROG([PYTHON3], [python3])
  AS_IF([test -z "$PYTHON3"], [AC_MSG_ERROR([python3 is needed for the tests: apt-get install python3])])
  AC_PATH_PROG([CURL], [curl])
  AS_IF([test -z "$CURL"], [AC_MSG_ERROR([curl is needed for the tests: apt-get install curl])])
  AC_PATH_PROG([OPENSSL], [openssl])
  AS_IF([test -z "$OPENSSL"],
    [AC_MSG_ERROR([openssl is needed for the TLS tests and the sample certificate: apt-get install openssl])])
])
