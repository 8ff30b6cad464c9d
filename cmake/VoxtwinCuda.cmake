# Decides whether to build the CUDA backend (libvoxtwin_cuda) from VOXTWIN_CUDA=AUTO|ON|OFF.
# Sets VOXTWIN_HAVE_CUDA, VOXTWIN_CUDA_REASON (why not) and VOXTWIN_CUFFT_LIBRARY.
# cuFFT comes from the CUDA toolkit or from the nvidia-cufft wheel
# (site-packages/nvidia/cu13/{include/cufft.h, lib/libcufft.so.12}, no unversioned symlink).
set(VOXTWIN_HAVE_CUDA OFF)
string(TOUPPER "${VOXTWIN_CUDA}" _voxtwin_cuda_mode)
if(NOT _voxtwin_cuda_mode MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "VOXTWIN_CUDA must be AUTO, ON or OFF, got VOXTWIN_CUDA=${VOXTWIN_CUDA}")
endif()

macro(_voxtwin_no_cuda reason)
  set(VOXTWIN_CUDA_REASON "${reason}")
  if(_voxtwin_cuda_mode STREQUAL "ON")
    message(FATAL_ERROR "VOXTWIN_CUDA=ON but ${reason}")
  endif()
  return()
endmacro()

if(_voxtwin_cuda_mode STREQUAL "OFF")
  _voxtwin_no_cuda("disabled by VOXTWIN_CUDA=OFF")
endif()

include(CheckLanguage)
check_language(CUDA)
if(NOT CMAKE_CUDA_COMPILER)   # defined as NOTFOUND when absent
  _voxtwin_no_cuda("nvcc not found")
endif()

# Hints for cuFFT: an explicit root, the toolkit beside nvcc, and the nvidia-cufft wheel.
set(_cufft_hints "")
if(DEFINED ENV{VOXTWIN_CUFFT_ROOT})
  list(APPEND _cufft_hints $ENV{VOXTWIN_CUFFT_ROOT})
endif()
if(VOXTWIN_CUFFT_ROOT)
  list(APPEND _cufft_hints ${VOXTWIN_CUFFT_ROOT})
endif()
get_filename_component(_nvcc_dir "${CMAKE_CUDA_COMPILER}" DIRECTORY)
list(APPEND _cufft_hints "${_nvcc_dir}/..")
find_package(Python COMPONENTS Interpreter QUIET)
if(Python_Interpreter_FOUND)
  execute_process(
    COMMAND ${Python_EXECUTABLE} -c
      "import os, nvidia; print(';'.join(os.path.join(p, d) for p in nvidia.__path__ for d in ('cu13', 'cufft', 'cu12')))"
    OUTPUT_VARIABLE _wheel_dirs OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _wheel_rc)
  if(_wheel_rc EQUAL 0)
    list(APPEND _cufft_hints ${_wheel_dirs})
  endif()
endif()
find_path(VOXTWIN_CUFFT_INCLUDE_DIR cufft.h HINTS ${_cufft_hints} PATH_SUFFIXES include targets/x86_64-linux/include NO_DEFAULT_PATH)
find_library(VOXTWIN_CUFFT_LIBRARY NAMES cufft libcufft.so.12 libcufft.so.11
  HINTS ${_cufft_hints} PATH_SUFFIXES lib lib64 targets/x86_64-linux/lib NO_DEFAULT_PATH)
if(NOT VOXTWIN_CUFFT_INCLUDE_DIR OR NOT VOXTWIN_CUFFT_LIBRARY)
  unset(VOXTWIN_CUFFT_INCLUDE_DIR CACHE)
  unset(VOXTWIN_CUFFT_LIBRARY CACHE)
  _voxtwin_no_cuda("cuFFT not found (pip install nvidia-cufft, or set VOXTWIN_CUFFT_ROOT)")
endif()

# A build host may have nvcc and no GPU to detect: default to an explicit list.
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
  set(CMAKE_CUDA_ARCHITECTURES "80;90" CACHE STRING "CUDA architectures" FORCE)
endif()
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)

add_library(voxtwin_cufft SHARED IMPORTED)
set_target_properties(voxtwin_cufft PROPERTIES
  IMPORTED_LOCATION ${VOXTWIN_CUFFT_LIBRARY}
  IMPORTED_NO_SONAME FALSE
  INTERFACE_INCLUDE_DIRECTORIES ${VOXTWIN_CUFFT_INCLUDE_DIR})
get_filename_component(_cufft_dir ${VOXTWIN_CUFFT_LIBRARY} DIRECTORY)

add_library(voxtwin_cuda SHARED ${VOXTWIN_CUDA_SOURCES})
add_library(voxtwin::cuda ALIAS voxtwin_cuda)
set_target_properties(voxtwin_cuda PROPERTIES
  OUTPUT_NAME voxtwin_cuda
  EXPORT_NAME cuda
  CUDA_RUNTIME_LIBRARY Static
  CUDA_SEPARABLE_COMPILATION OFF
  # In a wheel: voxtwin/lib/ -> site-packages/nvidia/cu13/lib; else where cuFFT was found.
  # nvidia-cufft-cu12 (CUDA 12 builds) lives in nvidia/cufft/lib.
  INSTALL_RPATH "$ORIGIN;$ORIGIN/../../nvidia/cu13/lib;$ORIGIN/../../nvidia/cufft/lib;${_cufft_dir}"
  BUILD_RPATH "${_cufft_dir}")
target_link_libraries(voxtwin_cuda PUBLIC voxtwin_core PRIVATE voxtwin_cufft)
target_include_directories(voxtwin_cuda PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cuda)
target_compile_options(voxtwin_cuda PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr>)
# Byte identity with the CPU twin (built with -ffp-contract=off) is promised only for these files:
# no fused multiply-add in their device code (-fmad=false) nor in their host code (g++ fuses by
# default on aarch64 hosts such as GH200). The solver (cuFFT, reduction order) cannot be
# byte-identical anyway and keeps FMA, which halves its floating-point instructions.
set(VOXTWIN_CUDA_BYTE_IDENTICAL_SOURCES fibre_raster.cu phase_counts.cu composite_voxels.cu paste.cu)
foreach(_src IN LISTS VOXTWIN_CUDA_BYTE_IDENTICAL_SOURCES)
  set(_path ${CMAKE_CURRENT_SOURCE_DIR}/cuda/${_src})
  if(EXISTS ${_path})
    set_source_files_properties(${_path} TARGET_DIRECTORY voxtwin_cuda PROPERTIES
      COMPILE_OPTIONS "-fmad=false;-Xcompiler=-ffp-contract=off")
  endif()
endforeach()
target_compile_definitions(voxtwin_cuda PUBLIC VOXTWIN_HAVE_CUDA=1)
set(VOXTWIN_HAVE_CUDA ON)
set(VOXTWIN_CUDA_REASON "")
