// Linux calls Swift cannot make itself: prctl is variadic.
#include <sys/prctl.h>
#include <signal.h>

/// Asks the kernel to send `signal` to this process when its parent dies (PR_SET_PDEATHSIG).
static inline int tutti_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
}
