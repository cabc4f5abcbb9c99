# Package.cmake - the .deb, through CPack (`cpack -G DEB` in a build
# configured with -DCMAKE_INSTALL_PREFIX=/usr; tests/integration/t_deb.sh
# builds, lints, installs, runs and purges it).  Conffiles, maintainer
# scripts (dist/debian/) and the dependencies (dpkg-shlibdeps) are set
# here; lintian must report no error.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ferry)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_RELEASE ${FERRY_DEB_RELEASE})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # ferry_VERSION-REL_ARCH.deb
set(CPACK_PACKAGE_CONTACT "ferry maintainers <maintainers@ferry.example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "mutual-TLS file transfer with end-to-end SHA-256 verification")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"ferryd serves a directory to clients holding a certificate from your CA;
ferry uploads, downloads, lists and deletes, verifying the server's
certificate, and prints the SHA-256 of every file it moves after both
sides hashed the bytes. Uploads appear under their name only when
complete, verified and fsync'ed; interrupted transfers resume.
.
This package has ferry, ferryd (a hardened systemd unit, running as the
user ferry), ferry-certs, the man pages and bash completion.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, openssl, init-system-helpers (>= 1.50)")
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
file(WRITE ${CMAKE_BINARY_DIR}/dist/conffiles "${FERRY_SYSCONFDIR}/ferry/ferryd.conf\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/dist/debian/postinst ${CMAKE_SOURCE_DIR}/dist/debian/prerm
    ${CMAKE_SOURCE_DIR}/dist/debian/postrm ${CMAKE_BINARY_DIR}/dist/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_OUTPUT_FILE_PREFIX ${CMAKE_BINARY_DIR}/packages)
include(CPack)
