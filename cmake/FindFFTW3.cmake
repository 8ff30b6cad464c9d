# Finds FFTW3 in double and single precision with its thread libraries.
# Defines FFTW3::fftw3, FFTW3::fftw3f, FFTW3::fftw3_threads, FFTW3::fftw3f_threads.
# Debian/Ubuntu: apt-get install libfftw3-dev
find_path(FFTW3_INCLUDE_DIR fftw3.h HINTS ENV FFTW3_ROOT PATH_SUFFIXES include)
set(_fftw3_components fftw3 fftw3f fftw3_threads fftw3f_threads)
foreach(_lib IN LISTS _fftw3_components)
  string(TOUPPER ${_lib} _LIB)
  find_library(${_LIB}_LIB NAMES ${_lib} HINTS ENV FFTW3_ROOT PATH_SUFFIXES lib lib64)
endforeach()
set(FFTW3_LIBRARY ${FFTW3_LIB})

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(FFTW3
  REQUIRED_VARS FFTW3_LIB FFTW3F_LIB FFTW3_THREADS_LIB FFTW3F_THREADS_LIB FFTW3_INCLUDE_DIR
  FAIL_MESSAGE "FFTW3 (double, float and threads) not found: install libfftw3-dev or set FFTW3_ROOT")

if(FFTW3_FOUND)
  foreach(_lib IN LISTS _fftw3_components)
    string(TOUPPER ${_lib} _LIB)
    if(NOT TARGET FFTW3::${_lib})
      add_library(FFTW3::${_lib} UNKNOWN IMPORTED)
      set_target_properties(FFTW3::${_lib} PROPERTIES
        IMPORTED_LOCATION ${${_LIB}_LIB}
        INTERFACE_INCLUDE_DIRECTORIES ${FFTW3_INCLUDE_DIR})
    endif()
  endforeach()
  find_package(Threads REQUIRED)
  set_property(TARGET FFTW3::fftw3_threads APPEND PROPERTY INTERFACE_LINK_LIBRARIES FFTW3::fftw3 Threads::Threads)
  set_property(TARGET FFTW3::fftw3f_threads APPEND PROPERTY INTERFACE_LINK_LIBRARIES FFTW3::fftw3f Threads::Threads)
endif()
mark_as_advanced(FFTW3_INCLUDE_DIR FFTW3_LIB FFTW3F_LIB FFTW3_THREADS_LIB FFTW3F_THREADS_LIB)
