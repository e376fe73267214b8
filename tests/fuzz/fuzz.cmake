# libFuzzer target over the broker's FrameReader. Built only by scripts/fuzz.sh: a clang build
# configured with -DPPE_FUZZ=ON whose CMAKE_CXX_FLAGS instrument every library it links.
option(PPE_FUZZ "build the libFuzzer targets (clang only; see scripts/fuzz.sh)" OFF)
if(PPE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES Clang)
    message(FATAL_ERROR "PPE_FUZZ needs clang: configure with CXX=clang++")
  endif()
  # FrameReader alone, not the whole broker: only what the fuzzer drives gets built and linked.
  add_executable(frame_fuzz ${CMAKE_CURRENT_LIST_DIR}/frame_fuzz.cpp ${PROJECT_SOURCE_DIR}/broker/frame_reader.cpp)
  target_link_libraries(frame_fuzz PRIVATE ppe_common)
  target_link_options(frame_fuzz PRIVATE -fsanitize=fuzzer)
  target_compile_definitions(frame_fuzz PRIVATE PPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()
