# cimrt_add_plugin(<target> SOURCES <files...> [OUTPUT_DIRECTORY <dir>])
#
# Builds a cimrt plugin: a MODULE library named <target>.so with hidden visibility, so the only exported symbol is
# `cim_plugin_entry` (from CIM_PLUGIN). Used in-tree and, once installed, by third-party plugin projects.
function(cimrt_add_plugin target)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "cimrt_add_plugin(${target}): SOURCES is required")
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE cimrt::sdk)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # Template and inline statics would otherwise be STB_GNU_UNIQUE symbols, and glibc never unloads a library that
    # defines one: after dlclose it would stay mapped, and a hot reload of a changed .so at the same path would run
    # the old code (docs/reload.md). Each plugin keeps its own copies instead, as hidden visibility intends.
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fno-gnu-unique>)
  endif()
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
  elseif(DEFINED CIMRT_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${CIMRT_PLUGIN_OUTPUT_DIR}")
  endif()
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    # A plugin must not silently depend on symbols only the host happens to provide.
    target_link_options(${target} PRIVATE "LINKER:--no-undefined")
  endif()
endfunction()
