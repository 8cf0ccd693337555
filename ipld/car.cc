// Implementation of ipld/car.h: in progress (see git log).
#include "ipld/car.h"
