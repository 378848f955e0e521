# Writes a plugin's contract with the SHA-256 of the library just built, and copies the
# policy (and data directory, if any) beside it. Run with -DLIB -DIN -DOUT -DSRC -DDST.
file(SHA256 ${LIB} SHA256)
configure_file(${IN} ${OUT} @ONLY)
if(EXISTS ${SRC}/policy.yaml)
  configure_file(${SRC}/policy.yaml ${DST}/policy.yaml COPYONLY)
endif()
if(IS_DIRECTORY ${SRC}/data)
  file(COPY ${SRC}/data DESTINATION ${DST})
endif()
