# Install.cmake - what `cmake --install` puts where (GNUInstallDirs;
# DESTDIR works): ferry, ferryd, ferry-certs and its templates, the man
# pages (scdoc sources in man/, ferryd's made from its option table), the
# systemd unit, the example /etc/ferry/ferryd.conf, bash completion, the
# copyright file made from LICENSE and the changelog.
include(GNUInstallDirs)

option(FERRY_MAN "build the man pages (needs scdoc)" ON)

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  pkg_get_variable(_unitdir systemd systemdsystemunitdir)
  if(NOT _unitdir)
    set(_unitdir /lib/systemd/system)
  endif()
else()
  set(_unitdir ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()
set(FERRY_SYSTEMD_UNITDIR ${_unitdir} CACHE PATH "where ferryd.service goes")
set(FERRY_BASH_COMPLETION_DIR ${CMAKE_INSTALL_FULL_DATADIR}/bash-completion/completions
    CACHE PATH "where the bash completion of ferry goes")
set(FERRY_DEB_RELEASE 1) # the Debian revision of the package

install(TARGETS ferry RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS ferryd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(PROGRAMS tools/ferry-certs DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES certs/ca.cnf certs/server.cnf certs/client.cnf
        DESTINATION ${CMAKE_INSTALL_DATADIR}/ferry/certs)
install(FILES dist/ferryd.conf DESTINATION ${FERRY_SYSCONFDIR}/ferry)
configure_file(dist/ferryd.service.in dist/ferryd.service @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/dist/ferryd.service dist/ferryd.socket
        DESTINATION ${FERRY_SYSTEMD_UNITDIR})
install(FILES dist/ferry.bash DESTINATION ${FERRY_BASH_COMPLETION_DIR} RENAME ferry)

# /usr/share/doc/ferry/copyright (Debian's machine-readable format) from
# LICENSE, and the changelog, both made here so nothing is written twice.
file(READ LICENSE _license)
string(REGEX REPLACE "\n$" "" _license "${_license}")
string(REGEX REPLACE "\n\n" "\n.\n" _license "${_license}")
string(REGEX REPLACE "\n" "\n " _license "${_license}")
file(WRITE ${CMAKE_BINARY_DIR}/dist/copyright
"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: ferry

Files: *
Copyright: 2026 The ferry authors
License: Expat
 ${_license}
")
configure_file(dist/debian/changelog.in dist/changelog.Debian @ONLY)
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/dist/changelog.Debian.gz
  COMMAND gzip -9nf -k ${CMAKE_BINARY_DIR}/dist/changelog.Debian
  DEPENDS ${CMAKE_BINARY_DIR}/dist/changelog.Debian)
add_custom_target(changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/dist/changelog.Debian.gz)
install(FILES ${CMAKE_BINARY_DIR}/dist/copyright ${CMAKE_BINARY_DIR}/dist/changelog.Debian.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Man pages: ferryd(8) and ferryd.conf(5) generated from the option table
# by ferryd-man (never installed), ferry(1) and ferry-certs(1) written in
# scdoc; roff by scdoc, gzip -9n as Debian wants.
if(FERRY_MAN)
  find_program(SCDOC scdoc REQUIRED)
  add_executable(ferryd-man man/ferryd_man.c src/server/config.c
    src/server/config_table.c src/server/config_doc.c)
  target_include_directories(ferryd-man PRIVATE src/server)
  target_link_libraries(ferryd-man PRIVATE ferrycore)
  target_compile_definitions(ferryd-man PRIVATE FERRYD_SYSCONFDIR="${FERRY_SYSCONFDIR}")
  set(_pages)
  foreach(page ferryd.8 ferryd.conf.5 ferry.1 ferry-certs.1)
    string(REGEX REPLACE ".*\\.([0-9])$" "\\1" sec ${page})
    set(out ${CMAKE_BINARY_DIR}/man/${page})
    if(page MATCHES "^ferryd")
      add_custom_command(OUTPUT ${out}.gz
        COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
        COMMAND sh -c "\"$1\" $2 > \"$3.scd\" && \"$4\" < \"$3.scd\" > \"$3\" && gzip -9nf -k \"$3\""
                sh $<TARGET_FILE:ferryd-man> ${sec} ${out} ${SCDOC}
        DEPENDS ferryd-man VERBATIM)
    else()
      add_custom_command(OUTPUT ${out}.gz
        COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
        COMMAND sh -c "\"$1\" < \"$2\" > \"$3\" && gzip -9nf -k \"$3\""
                sh ${SCDOC} ${CMAKE_SOURCE_DIR}/man/${page}.scd ${out}
        DEPENDS ${CMAKE_SOURCE_DIR}/man/${page}.scd VERBATIM)
    endif()
    list(APPEND _pages ${out}.gz)
    install(FILES ${out}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${sec})
  endforeach()
  add_custom_target(man ALL DEPENDS ${_pages})
endif()
