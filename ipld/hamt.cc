// Implementation of ipld/hamt.h: in progress (see git log).
#include "ipld/hamt.h"
