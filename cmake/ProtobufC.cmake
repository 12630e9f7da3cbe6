# flamed_protobuf_c(target proto [ROOT dir]): proto -> <name>.pb-c.[ch] in the build tree, as a
# static library built with relaxed warnings (generated code). Without ROOT the proto's own
# directory is the include path; with ROOT (relative to the source tree) the proto is compiled
# relative to it, so imports written as paths from ROOT resolve and the generated files keep that
# layout (#include "a/b/c.pb-c.h").
find_program(FLAMED_PROTOC_C NAMES protoc-c REQUIRED)
function(flamed_protobuf_c target proto)
  cmake_parse_arguments(PB "" "ROOT" "" ${ARGN})
  get_filename_component(base ${proto} NAME_WE)
  if(PB_ROOT)
    set(root ${CMAKE_SOURCE_DIR}/${PB_ROOT})
    file(RELATIVE_PATH rel ${root} ${CMAKE_SOURCE_DIR}/${proto})
    get_filename_component(reldir ${rel} DIRECTORY)
  else()
    get_filename_component(root ${CMAKE_SOURCE_DIR}/${proto} DIRECTORY)
    set(reldir "")
  endif()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/proto)
  if(reldir)
    set(gen ${out}/${reldir})
  else()
    set(gen ${out})
  endif()
  file(MAKE_DIRECTORY ${gen})
  add_custom_command(OUTPUT ${gen}/${base}.pb-c.c ${gen}/${base}.pb-c.h
    COMMAND ${FLAMED_PROTOC_C} --c_out=${out} --proto_path=${root} ${CMAKE_SOURCE_DIR}/${proto}
    DEPENDS ${CMAKE_SOURCE_DIR}/${proto} VERBATIM)
  add_library(${target} STATIC ${gen}/${base}.pb-c.c)
  target_include_directories(${target} PUBLIC ${out})
  target_link_libraries(${target} PUBLIC PkgConfig::PROTOBUFC)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
