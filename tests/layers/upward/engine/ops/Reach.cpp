// A deliberate upward include: engine.layers_catch_upward expects the layer
// check to reject it.
#include "core/Base.h"
#include "train/Trainer.h"
