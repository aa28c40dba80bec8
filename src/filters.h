/* The filter registry's life cycle (x0/filter.h has the rest). */
#ifndef X0_FILTERS_H
#define X0_FILTERS_H

namespace x0 {

/** Forget every registered filter (before modules register again). */
void reset_filters();

/** Why a registration failed since the last reset (full, name too long), or NULL. */
const char* filters_overflow();

} // namespace x0

#endif
