# flamed_embed_text(TARGET NAME FILE): a generated header <NAME>.h, in the build tree and on
# TARGET's include path, holding FILE's bytes as `static const char NAME[]` (NUL-terminated),
# rebuilt when FILE changes. So text that is a program of its own (the SVG viewer's JavaScript)
# lives in its own file, where it can be read, linted and diffed as what it is.
#
# Run as a script (cmake -DIN=... -DOUT=... -DNAME=... [-DFORBID=...] -P EmbedText.cmake) it
# writes the header; FORBID is a string the text must not contain.
if(CMAKE_SCRIPT_MODE_FILE)
  file(READ "${IN}" text HEX)
  file(READ "${IN}" plain)
  if(DEFINED FORBID AND NOT FORBID STREQUAL "")
    string(FIND "${plain}" "${FORBID}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "${IN} holds \"${FORBID}\", which it must not")
    endif()
  endif()
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${text}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n"
    bytes "${bytes}")
  file(WRITE "${OUT}.tmp" "/* Generated from ${IN} by cmake/EmbedText.cmake: do not edit. */\n"
    "static const char ${NAME}[] = {\n${bytes}0x00 };\n")
  file(RENAME "${OUT}.tmp" "${OUT}")
  return()
endif()

function(flamed_embed_text target name file)
  set(options)
  set(one FORBID)
  cmake_parse_arguments(E "${options}" "${one}" "" ${ARGN})
  set(dir ${CMAKE_BINARY_DIR}/embed)
  set(out ${dir}/${name}.h)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${CMAKE_COMMAND} -DIN=${CMAKE_SOURCE_DIR}/${file} -DOUT=${out} -DNAME=${name}
      "-DFORBID=${E_FORBID}" -P ${CMAKE_SOURCE_DIR}/cmake/EmbedText.cmake
    DEPENDS ${CMAKE_SOURCE_DIR}/${file} ${CMAKE_SOURCE_DIR}/cmake/EmbedText.cmake
    COMMENT "Embedding ${file}" VERBATIM)
  add_custom_target(${target}_${name} DEPENDS ${out})
  add_dependencies(${target} ${target}_${name})
  target_include_directories(${target} PRIVATE ${dir})
endfunction()
