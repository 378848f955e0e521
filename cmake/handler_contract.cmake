# Copies a Python handler example (its src/ tree, policy and data) into its build directory and
# writes its contract with the tree hash of exactly that copy: what the contract pins is what
# runs. Run with -DSRC (the example in the source tree) -DDST -DIN -DOUT.
include(${CMAKE_CURRENT_LIST_DIR}/handler_tree_hash.cmake)
file(REMOVE_RECURSE ${DST}/src)
file(MAKE_DIRECTORY ${DST})
file(COPY ${SRC}/src DESTINATION ${DST}
     PATTERN __pycache__ EXCLUDE PATTERN *.pyc EXCLUDE)
warden_handler_tree_hash(${DST}/src SHA256)
configure_file(${IN} ${OUT} @ONLY)
configure_file(${SRC}/policy.yaml ${DST}/policy.yaml COPYONLY)
if(IS_DIRECTORY ${SRC}/data)
  file(REMOVE_RECURSE ${DST}/data)
  file(COPY ${SRC}/data DESTINATION ${DST})
endif()
