# The distributed (MPI) solver: libvoxtwin_mpi and the extension voxtwin._mpi.
#   VOXTWIN_MPI=AUTO (default): built when MPI and FFTW's MPI libraries are found
#   VOXTWIN_MPI=ON: required;  VOXTWIN_MPI=OFF: not built (the serial solver is unchanged either way)
# Sets VOXTWIN_HAVE_MPI and VOXTWIN_MPI_REASON. Debian/Ubuntu: libopenmpi-dev openmpi-bin libfftw3-mpi-dev
set(VOXTWIN_MPI "AUTO" CACHE STRING "Build the MPI solver: AUTO (when MPI and FFTW-MPI are found), ON (required) or OFF")
set_property(CACHE VOXTWIN_MPI PROPERTY STRINGS AUTO ON OFF)
set(VOXTWIN_HAVE_MPI OFF)
set(VOXTWIN_MPI_REASON "VOXTWIN_MPI=OFF")
if(NOT VOXTWIN_MPI STREQUAL "OFF")
  find_package(MPI COMPONENTS CXX QUIET)
  find_library(VOXTWIN_FFTW3_MPI_LIBRARY NAMES fftw3_mpi HINTS ENV FFTW3_ROOT PATH_SUFFIXES lib lib64)
  find_library(VOXTWIN_FFTW3F_MPI_LIBRARY NAMES fftw3f_mpi HINTS ENV FFTW3_ROOT PATH_SUFFIXES lib lib64)
  find_path(VOXTWIN_FFTW3_MPI_INCLUDE_DIR fftw3-mpi.h HINTS ENV FFTW3_ROOT PATH_SUFFIXES include)
  if(NOT MPI_CXX_FOUND)
    set(VOXTWIN_MPI_REASON "MPI not found (apt-get install libopenmpi-dev openmpi-bin)")
  elseif(NOT VOXTWIN_FFTW3_MPI_LIBRARY OR NOT VOXTWIN_FFTW3F_MPI_LIBRARY OR NOT VOXTWIN_FFTW3_MPI_INCLUDE_DIR)
    set(VOXTWIN_MPI_REASON "FFTW's MPI libraries not found (apt-get install libfftw3-mpi-dev)")
  else()
    set(VOXTWIN_HAVE_MPI ON)
  endif()
  if(VOXTWIN_MPI STREQUAL "ON" AND NOT VOXTWIN_HAVE_MPI)
    message(FATAL_ERROR "VOXTWIN_MPI=ON but ${VOXTWIN_MPI_REASON}")
  endif()
endif()

if(VOXTWIN_HAVE_MPI)
  file(GLOB VOXTWIN_MPI_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cpp/mpi/*.cpp)
  file(GLOB VOXTWIN_MPI_BINDING_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/bindings/mpi/*.cpp)
  add_library(voxtwin_mpi SHARED ${VOXTWIN_MPI_SOURCES})
  add_library(voxtwin::mpi ALIAS voxtwin_mpi)
  set_target_properties(voxtwin_mpi PROPERTIES OUTPUT_NAME voxtwin_mpi EXPORT_NAME mpi INSTALL_RPATH "$ORIGIN")
  # The serial operator's private headers (cpp/src) are reused on each slab.
  target_include_directories(voxtwin_mpi PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cpp/src ${VOXTWIN_FFTW3_MPI_INCLUDE_DIR})
  target_link_libraries(voxtwin_mpi
    PUBLIC voxtwin_core
    PRIVATE MPI::MPI_CXX OpenMP::OpenMP_CXX ${VOXTWIN_FFTW3_MPI_LIBRARY} ${VOXTWIN_FFTW3F_MPI_LIBRARY}
            FFTW3::fftw3 FFTW3::fftw3f)
  target_compile_options(voxtwin_mpi PRIVATE $<$<CXX_COMPILER_ID:GNU,Clang>:-ffp-contract=off -Wall -Wextra>)
  # The C API only: no MPI C++ bindings (deprecated, and noisy under -Wextra).
  target_compile_definitions(voxtwin_mpi PRIVATE OMPI_SKIP_MPICXX=1 MPICH_SKIP_MPICXX=1)
endif()
