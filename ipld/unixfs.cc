// Implementation of ipld/unixfs.h: in progress (see git log).
#include "ipld/unixfs.h"
