# Copies a process plugin's program beside its contract and writes the contract with the
# SHA-256 of exactly that copy, plus the policy (and data directory, if any). The program is
# copied, not referred to in the source tree, so what the contract hashes is what runs.
# Run with -DPROGRAM (the file in the source tree) -DIN -DOUT -DSRC -DDST.
get_filename_component(name ${PROGRAM} NAME)
file(COPY ${PROGRAM} DESTINATION ${DST}
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                      WORLD_READ WORLD_EXECUTE)
file(SHA256 ${DST}/${name} SHA256)
configure_file(${IN} ${OUT} @ONLY)
if(EXISTS ${SRC}/policy.yaml)
  configure_file(${SRC}/policy.yaml ${DST}/policy.yaml COPYONLY)
endif()
if(IS_DIRECTORY ${SRC}/data)
  file(REMOVE_RECURSE ${DST}/data)
  file(COPY ${SRC}/data DESTINATION ${DST})
endif()
