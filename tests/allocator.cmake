# Allocator tests, the GLPK oracle, the province generator and the allocation benchmark.
find_package(GTest REQUIRED)
include(GoogleTest)
find_library(GLPK_LIB glpk REQUIRED)
find_path(GLPK_INCLUDE glpk.h REQUIRED)

add_library(ppe_province STATIC ${CMAKE_CURRENT_LIST_DIR}/province.cpp)
target_link_libraries(ppe_province PUBLIC ppe_allocator)

add_executable(ppe-province ${CMAKE_CURRENT_LIST_DIR}/province_main.cpp)
target_link_libraries(ppe-province PRIVATE ppe_province CLI11::CLI11)

add_executable(ppe-bench-allocate ${CMAKE_CURRENT_LIST_DIR}/bench_allocate.cpp)
target_link_libraries(ppe-bench-allocate PRIVATE ppe_province)

add_executable(allocator_test ${CMAKE_CURRENT_LIST_DIR}/allocator_test.cpp)
target_link_libraries(allocator_test PRIVATE ppe_province GTest::gtest_main)
gtest_discover_tests(allocator_test)

add_executable(allocator_oracle_test ${CMAKE_CURRENT_LIST_DIR}/allocator_oracle_test.cpp)
target_include_directories(allocator_oracle_test PRIVATE ${GLPK_INCLUDE})
target_link_libraries(allocator_oracle_test PRIVATE ppe_province ${GLPK_LIB} GTest::gtest_main)
gtest_discover_tests(allocator_oracle_test)
