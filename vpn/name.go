package vpn

import "regexp"

// ConnectionNamePattern is what a configured connection's name may be
// (what users type): the config, the command parser and the proposal
// parser all hold names to it.
const ConnectionNamePattern = `[a-z0-9-]{1,40}`

var connectionName = regexp.MustCompile(`^` + ConnectionNamePattern + `$`)

// ValidConnectionName reports whether s matches ConnectionNamePattern.
func ValidConnectionName(s string) bool { return connectionName.MatchString(s) }
