# vmlinux.h and BPF object -> skeleton rules.
find_program(FLAMED_BPF_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
find_program(FLAMED_BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

execute_process(COMMAND ${FLAMED_BPF_CLANG} --version OUTPUT_VARIABLE _clang_ver)
string(REGEX MATCH "version ([0-9]+)" _m "${_clang_ver}")
if(CMAKE_MATCH_1 LESS 11)
  message(FATAL_ERROR "clang >= 11 is needed for BPF CO-RE, found ${CMAKE_MATCH_1}")
endif()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(FLAMED_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(FLAMED_BPF_ARCH arm64)
else()
  message(FATAL_ERROR "unsupported architecture ${CMAKE_SYSTEM_PROCESSOR}")
endif()

# clang's default system include dirs, passed with -idirafter so <asm/types.h> etc. resolve for BPF.
execute_process(COMMAND sh -c "${FLAMED_BPF_CLANG} -v -E - </dev/null 2>&1 | sed -n '/<...> search starts here:/,/End of search list./{ s| \\(/.*\\)|-idirafter \\1|p }'"
  OUTPUT_VARIABLE _sysincl OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REPLACE "\n" ";" FLAMED_BPF_SYS_INCLUDES "${_sysincl}")
separate_arguments(FLAMED_BPF_SYS_INCLUDES UNIX_COMMAND "${_sysincl}")

# vmlinux.h: generated from this host's BTF when present, else the committed fallback.
function(flamed_vmlinux_h out_dir_var)
  set(dir ${CMAKE_BINARY_DIR}/vmlinux)
  set(fallback ${CMAKE_SOURCE_DIR}/bpf/vmlinux/${FLAMED_BPF_ARCH}/vmlinux.h)
  file(MAKE_DIRECTORY ${dir})
  if(EXISTS /sys/kernel/btf/vmlinux)
    execute_process(COMMAND ${FLAMED_BPFTOOL} btf dump file /sys/kernel/btf/vmlinux format c
      OUTPUT_FILE ${dir}/vmlinux.h RESULT_VARIABLE rc ERROR_QUIET)
    if(NOT rc EQUAL 0)
      message(STATUS "bpftool btf dump failed; using committed vmlinux.h")
      configure_file(${fallback} ${dir}/vmlinux.h COPYONLY)
    endif()
  else()
    message(STATUS "no /sys/kernel/btf/vmlinux; using committed ${fallback}")
    configure_file(${fallback} ${dir}/vmlinux.h COPYONLY)
  endif()
  set(${out_dir_var} ${dir} PARENT_SCOPE)
endfunction()

# flamed_bpf_object(name src): src -> name.bpf.o -> name.skel.h, INTERFACE target name_skel.
function(flamed_bpf_object name src)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)
  add_custom_command(OUTPUT ${obj}
    COMMAND ${FLAMED_BPF_CLANG} -g -O2 -Wall -Wextra -Wno-unused-parameter -Werror -target bpf
            -D__TARGET_ARCH_${FLAMED_BPF_ARCH} -I${FLAMED_VMLINUX_DIR}
            -I${CMAKE_CURRENT_SOURCE_DIR}/bpf ${FLAMED_BPF_SYS_INCLUDES}
            -MD -MF ${obj}.d -c ${CMAKE_CURRENT_SOURCE_DIR}/${src} -o ${obj}
    DEPFILE ${obj}.d
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${src}
    COMMENT "BPF ${src}"
    COMMAND_EXPAND_LISTS VERBATIM)
  add_custom_command(OUTPUT ${skel}
    COMMAND sh -c "${FLAMED_BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}"
    DEPENDS ${obj} VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${CMAKE_CURRENT_BINARY_DIR})
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF)
endfunction()
