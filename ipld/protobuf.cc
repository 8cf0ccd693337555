// Implementation of ipld/protobuf.h: in progress (see git log).
#include "ipld/protobuf.h"
