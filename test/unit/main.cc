#include <apr_general.h>
#include <CppUTest/CommandLineTestRunner.h>

int main(int argc, char** argv)
{
    apr_initialize();
    int rv = CommandLineTestRunner::RunAllTests(argc, argv);
    apr_terminate();
    return rv;
}
