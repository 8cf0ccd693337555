// Implementation of ipld/dag_pb.h: in progress (see git log).
#include "ipld/dag_pb.h"
