// engine.layer_strings_catch: a source that names a layer type by its string.
bool isConv(const std::string& type) { return type == "Conv2d"; }
