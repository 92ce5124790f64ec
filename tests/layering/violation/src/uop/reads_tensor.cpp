// Fixture for the layering check's own test: uop/ must not reach up into tensor/ (either spelling).
#include "anneal/tensor/tensor.h"
#include "../tensor/tensor_internal.h"
#include "anneal/uop/uop.h"
