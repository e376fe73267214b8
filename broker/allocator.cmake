# The allocator: pure rationing, sourcing and batch picking, no sockets or SQL (see broker/allocator.h).
add_library(ppe_allocator STATIC
  ${CMAKE_CURRENT_LIST_DIR}/allocator.cpp
  ${CMAKE_CURRENT_LIST_DIR}/batch_picking.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sourcing.cpp
  ${CMAKE_CURRENT_LIST_DIR}/water_fill.cpp)
target_include_directories(ppe_allocator PUBLIC ${PROJECT_SOURCE_DIR} ${LEMON_INCLUDE_DIRS})
target_link_libraries(ppe_allocator PUBLIC ppe_common ${LEMON_LIBRARIES})
