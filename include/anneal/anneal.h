// The public API of anneal in one include.
#pragma once
#include "anneal/rewrite/symbolic.h"
#include "anneal/engine/engine.h"
#include "anneal/schedule/schedule.h"
#include "anneal/support/error.h"
#include "anneal/tensor/gradient.h"
#include "anneal/tensor/jit.h"
#include "anneal/tensor/random.h"
#include "anneal/tensor/tensor.h"
#include "anneal/tensor/variable.h"
#include "anneal/uop/print.h"
#include "anneal/uop/shape.h"
#include "anneal/uop/uop.h"
