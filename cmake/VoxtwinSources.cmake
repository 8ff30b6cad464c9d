# Source lists, collected by folder so that a new capability only adds files:
#   cpp/src/*.cpp          -> libvoxtwin (voxtwin::core)
#   cuda/*.cu              -> libvoxtwin_cuda (voxtwin::cuda), mirrors cpp/src by name
#   bindings/core/*.cpp    -> voxtwin._core
#   bindings/cuda/*.cpp    -> voxtwin._cuda
file(GLOB VOXTWIN_CORE_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cpp/src/*.cpp)
file(GLOB VOXTWIN_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cuda/*.cu)
file(GLOB VOXTWIN_BINDING_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/bindings/core/*.cpp)
file(GLOB VOXTWIN_CUDA_BINDING_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/bindings/cuda/*.cpp)
