/* x0_loop_turn(): a worker's loop is libev's default loop (worker_main). */
#include <ev.h>

#include "x0/module.h"

extern "C" unsigned long x0_loop_turn(void)
{
    struct ev_loop* loop = EV_DEFAULT_UC;  // NULL until a worker made it
    return loop ? ev_iteration(loop) : 0;
}
