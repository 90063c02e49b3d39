# cmake -DINPUT=page.html -DOUTPUT=page.cpp -DSYMBOL=name -P embed_page.cmake
# Writes `std::string_view SYMBOL()` returning the file's text. The raw-string delimiter must not occur in the page.
file(READ "${INPUT}" content)
string(FIND "${content}" ")cimrt_page\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the delimiter )cimrt_page\" and cannot be embedded")
endif()
# A raw string literal has an implementation limit on length; split into pieces of 8000 bytes.
string(LENGTH "${content}" length)
set(pieces "")
set(offset 0)
while(offset LESS length)
  string(SUBSTRING "${content}" ${offset} 8000 piece)
  string(APPEND pieces "    R\"cimrt_page(${piece})cimrt_page\"\n")
  math(EXPR offset "${offset} + 8000")
endwhile()
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT} by embed_page.cmake; do not edit.\n#include <string_view>\n\nstd::string_view ${SYMBOL}() {\n    static constexpr char text[] =\n${pieces}    ;\n    return {text, sizeof text - 1};\n}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
