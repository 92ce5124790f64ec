// The Error type is header-only; this file anchors its vtable in the library.
#include "anneal/support/error.h"
