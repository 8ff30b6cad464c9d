# Finds Eigen3 (header-only) for the core.
# A wheel build (pip wheel / scripts/build_wheel.sh, with build isolation) gets Eigen from the
# `cmeel-eigen` build requirement, whose CMake config lies under <site-packages>/cmeel.prefix; a
# source build without isolation (scripts/install.sh) finds the system Eigen (libeigen3-dev).
# cmeel.prefix directories on the build interpreter's sys.path come first, so that a wheel never
# depends on what apt installed.
if(SKBUILD)
  find_package(Python COMPONENTS Interpreter QUIET)
  if(Python_EXECUTABLE)
    execute_process(
      COMMAND "${Python_EXECUTABLE}" -c
        "import pathlib, sys; print(';'.join(str(p / 'cmeel.prefix') for p in map(pathlib.Path, sys.path) if (p / 'cmeel.prefix').is_dir()))"
      OUTPUT_VARIABLE _voxtwin_cmeel_prefixes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(_voxtwin_cmeel_prefixes)
      list(PREPEND CMAKE_PREFIX_PATH ${_voxtwin_cmeel_prefixes})
    endif()
  endif()
endif()
find_package(Eigen3 3.3 REQUIRED NO_MODULE)

set(VOXTWIN_EIGEN_FROM "${Eigen3_DIR}")
