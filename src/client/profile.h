/*
 * profile.h - the client's config file and its profiles.
 *
 *     # ~/.config/ferry/config
 *     [default]
 *     ca = pki/ca.crt            # relative to this file
 *     [profile prod]
 *     server = files.example.org
 *     cert = ~/pki/alice.crt
 *     parallel = 4
 *
 * The file is --config FILE, else $FERRY_CONFIG, else
 * $XDG_CONFIG_HOME/ferry/config (default ~/.config/ferry/config) when it
 * exists.  Its keys are the long options marked OPT_FILE in opts.c.  The
 * profile is --profile NAME, else -s NAME when [profile NAME] exists (as
 * ssh resolves a Host alias: the profile's server, or NAME itself), else
 * $FERRY_PROFILE.  What no flag and no environment variable set comes from
 * the profile, then from [default].
 *
 * Does: find, load (core conf.c) and check the whole file, every section
 * and key, whatever profile is used, so a typo is found on the next run:
 * an unknown section or key, a bad value, a key set twice in a section, a
 * key outside a section, an unknown profile are all exit 2 with
 * "FILE:LINE: what is wrong".  It refuses a file that another user owns or
 * that group or others may write (as ssh does: the file decides which
 * server and CA we trust).
 * Does not: parse flags or the environment (opts.c).
 */
#ifndef FERRY_CLIENT_PROFILE_H
#define FERRY_CLIENT_PROFILE_H

#include "opts.h"

struct fr_conf;

/* Fill set (flags and environment already in) from the config file.
 * FX_OK with *conf the loaded file (NULL when none; it holds the values:
 * free it with fr_conf_free after the last use of set), or FX_USAGE after
 * one line. */
int profile_load(struct opt_set *set, struct fr_conf **conf);

#endif
