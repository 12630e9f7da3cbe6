# flamed_warnings: INTERFACE target carrying the warning set (-Werror builds).
add_library(flamed_warnings INTERFACE)
target_compile_options(flamed_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes
  -Wmissing-field-initializers -Werror=undef -Werror=implicit-function-declaration
  -Wno-sign-compare)
if(FLAMED_WERROR)
  target_compile_options(flamed_warnings INTERFACE -Werror)
endif()
