# The Debian package: `cpack -G DEB` in the build directory makes
# ipfsfs_<version>_amd64.deb (issue 19). The binaries install from tools/; this
# file adds what a package carries besides them and the CPack settings.
include(GNUInstallDirs)

set(IPFSFS_PKG ${PROJECT_SOURCE_DIR}/packaging)
set(IPFSFS_DOC ${CMAKE_INSTALL_DATAROOTDIR}/doc/ipfsfs)

# Debian wants man pages and changelogs gzipped, without timestamps (-n).
find_program(IPFSFS_GZIP gzip REQUIRED)
set(IPFSFS_GZ_DIR ${CMAKE_CURRENT_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${IPFSFS_GZ_DIR})
set(IPFSFS_GZ_FILES)
foreach(pair "man/ipfsfs.1:ipfsfs.1.gz" "man/mount.ipfsfs.8:mount.ipfsfs.8.gz"
             "debian/changelog:changelog.Debian.gz")
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 src)
  list(GET pair 1 out)
  add_custom_command(OUTPUT ${IPFSFS_GZ_DIR}/${out}
                     COMMAND ${IPFSFS_GZIP} -9n -c ${IPFSFS_PKG}/${src} > ${IPFSFS_GZ_DIR}/${out}
                     DEPENDS ${IPFSFS_PKG}/${src} VERBATIM)
  list(APPEND IPFSFS_GZ_FILES ${IPFSFS_GZ_DIR}/${out})
endforeach()
add_custom_target(ipfsfs_package_files ALL DEPENDS ${IPFSFS_GZ_FILES})

install(FILES ${IPFSFS_GZ_DIR}/ipfsfs.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${IPFSFS_GZ_DIR}/mount.ipfsfs.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(CODE "execute_process(COMMAND ${CMAKE_COMMAND} -E create_symlink mount.ipfsfs.8.gz \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_MANDIR}/man8/mount.fuse.ipfsfs.8.gz\")")
install(FILES ${IPFSFS_PKG}/completion/ipfsfs.bash DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions
        RENAME ipfsfs)
# Units in /usr/lib/systemd (systemd reads it on every usrmerged Debian);
# nothing enables them: the admin does (README).
install(FILES ${IPFSFS_PKG}/systemd/ipfsfs.service ${IPFSFS_PKG}/systemd/ipfsfs-gc.service
              ${IPFSFS_PKG}/systemd/ipfsfs-gc.timer
        DESTINATION lib/systemd/system)
install(FILES ${IPFSFS_PKG}/systemd/ipfsfs-user.service DESTINATION lib/systemd/user RENAME ipfsfs.service)
install(FILES ${IPFSFS_PKG}/debian/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides
        RENAME ipfsfs)
install(FILES ${IPFSFS_PKG}/debian/copyright ${IPFSFS_GZ_DIR}/changelog.Debian.gz DESTINATION ${IPFSFS_DOC})
install(FILES ${IPFSFS_PKG}/config.example.json ${IPFSFS_PKG}/fstab.example ${IPFSFS_PKG}/nginx/ipfsfs-site-cache.conf
              ${PROJECT_SOURCE_DIR}/examples/welcome.car
        DESTINATION ${IPFSFS_DOC}/examples)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ipfsfs)
set(CPACK_PACKAGE_VENDOR "ipfsfs")
set(CPACK_PACKAGE_CONTACT "ipfsfs maintainers <maintainers@users.noreply.b-seed-d7334e0e.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "IPFS as an ordinary filesystem (FUSE)")
set(CPACK_PACKAGE_DESCRIPTION "ipfsfs mounts IPFS as a drive: programs read content-addressed data under
<mountpoint>/ipfs/<cid>/ as local files. Blocks come from trustless HTTP
gateways or a kubo node, are verified against their CID and cached locally.
`ipfsfs add` builds UnixFS with the CIDs `ipfs add` gives.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/ipfsfs/ipfsfs")
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fuse3")
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${IPFSFS_PKG}/debian/postinst ${IPFSFS_PKG}/debian/postrm)
include(CPack)
