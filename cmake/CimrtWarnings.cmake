# Warnings live in one INTERFACE target so every cimrt target agrees, and nothing leaks to consumers of the SDK.
add_library(cimrt_warnings INTERFACE)
target_compile_options(cimrt_warnings INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
                                 -Wcast-align -Wunused -Woverloaded-virtual -Wnull-dereference>)
