#pragma once
// engine.layer_strings_catch: a GUI header with a type in a string table.
inline const char* kFirst[] = {"Linear", "Containers"};
inline const char* kSecond = "ReLU";
