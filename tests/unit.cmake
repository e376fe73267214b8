# Unit tests of the modules: city, certificate, sqlite, table, deployment, validator, node store,
# CSV import, report entry, broker store, key ring and frame reader. One executable, each test
# discovered by ctest.
find_package(GTest REQUIRED)
include(GoogleTest)

add_executable(ppe_unit_tests
  ${CMAKE_CURRENT_LIST_DIR}/common_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/node_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/broker_store_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/frame_reader_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/store_recovery_unit_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/trusted_demand_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/batch_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/batch_property_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/order_lifecycle_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/catalogue_change_test.cpp)
target_link_libraries(ppe_unit_tests PRIVATE ppe_broker_core ppe_node_core GTest::gtest_main)
target_compile_definitions(ppe_unit_tests PRIVATE PPE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(ppe_unit_tests DISCOVERY_TIMEOUT 60)
