# What `cmake --install build [--prefix P]` puts where (GNUInstallDirs, so Debian's multiarch
# libdir and a DESTDIR staging both work):
#   bin/warden                              the command-line tool, for users
#   sbin/wardend                            the daemon, for the system (wardend(8))
#   libexec/warden/warden-runner            started by both, never by hand
#   lib/libwarden.so.0 -> .so.<version>     the library, soname libwarden.so.0, and its dev link
#   include/warden/*.h, include/warden/sys  the public API and the plugin ABI header
#   lib/pkgconfig/libwarden.pc              pkg-config --cflags --libs libwarden
#   lib/cmake/warden/                       find_package(warden) -> warden::warden
#   share/doc/warden/examples/              an example wardend configuration and policy
# The programs find the runner relative to themselves (src/sandbox/runner_path.c), so a tree
# installed with any --prefix works where it lands.
include(CMakePackageConfigHelpers)

install(TARGETS warden_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(TARGETS wardend RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR} COMPONENT runtime)
install(TARGETS warden_runner RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/warden
  COMPONENT runtime)

install(TARGETS warden EXPORT wardenTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/warden DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT dev FILES_MATCHING PATTERN "*.h")

# CMake package: warden::warden, relocatable (paths relative to the installed config file).
set(WARDEN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/warden)
install(EXPORT wardenTargets NAMESPACE warden:: DESTINATION ${WARDEN_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/wardenConfig.cmake.in
  ${PROJECT_BINARY_DIR}/wardenConfig.cmake INSTALL_DESTINATION ${WARDEN_CMAKE_DIR})
# Within soname 0 every 0.x release may change the API: only the same minor version matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/wardenConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/wardenConfig.cmake ${PROJECT_BINARY_DIR}/wardenConfigVersion.cmake
  DESTINATION ${WARDEN_CMAKE_DIR} COMPONENT dev)

# pkg-config: written at install time, so prefix= is the prefix actually installed to
# (cmake --install --prefix P), not only the configured one.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(WARDEN_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(WARDEN_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(WARDEN_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(WARDEN_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
set(WARDEN_PC_PREFIX "@WARDEN_PC_PREFIX@") # kept for the install step below
configure_file(${PROJECT_SOURCE_DIR}/libwarden.pc.in ${PROJECT_BINARY_DIR}/libwarden.pc.in @ONLY)
install(CODE "
  file(READ \"${PROJECT_BINARY_DIR}/libwarden.pc.in\" pc)
  string(REPLACE \"@WARDEN_PC_PREFIX@\" \"\${CMAKE_INSTALL_PREFIX}\" pc \"\${pc}\")
  file(WRITE \"${PROJECT_BINARY_DIR}/libwarden.pc\" \"\${pc}\")
" COMPONENT dev)
install(FILES ${PROJECT_BINARY_DIR}/libwarden.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT dev)

# Examples: the wardend configuration's relative paths point into a checkout, so it is
# documentation to copy and adapt, not a live /etc file.
install(FILES ${PROJECT_SOURCE_DIR}/examples/wardend/warden.yaml
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/wardend COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/examples/policies/agent-tool.yaml
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/policies COMPONENT runtime)
