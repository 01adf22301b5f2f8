// engine.layer_strings_catch: the catalog itself may spell its types.
const char* name = "Conv2d";
