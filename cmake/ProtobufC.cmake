# flamed_protobuf_c(target proto): proto -> <name>.pb-c.[ch] in the build tree, as a static library
# built with relaxed warnings (generated code).
find_program(FLAMED_PROTOC_C NAMES protoc-c REQUIRED)
function(flamed_protobuf_c target proto)
  get_filename_component(base ${proto} NAME_WE)
  get_filename_component(dir ${CMAKE_SOURCE_DIR}/${proto} DIRECTORY)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/proto)
  file(MAKE_DIRECTORY ${out})
  add_custom_command(OUTPUT ${out}/${base}.pb-c.c ${out}/${base}.pb-c.h
    COMMAND ${FLAMED_PROTOC_C} --c_out=${out} --proto_path=${dir} ${CMAKE_SOURCE_DIR}/${proto}
    DEPENDS ${CMAKE_SOURCE_DIR}/${proto} VERBATIM)
  add_library(${target} STATIC ${out}/${base}.pb-c.c)
  target_include_directories(${target} PUBLIC ${out})
  target_link_libraries(${target} PUBLIC PkgConfig::PROTOBUFC)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
