package vpn

import "regexp"

// ConnectionNamePattern is what a configured connection's name may be
// (what users type): the config, the command parser and the proposal
// parser all hold names to it.
const ConnectionNamePattern = `[a-z0-9-]{1,40}`

var connectionName = regexp.MustCompile(`^` + ConnectionNamePattern + `$`)

// ValidConnectionName reports whether s matches ConnectionNamePattern.
func ValidConnectionName(s string) bool { return connectionName.MatchString(s) }

// AzureNamePattern is what an Azure network resource's name (gateway,
// connection, local network gateway) may be; the config and the proposal
// parser hold names to it, and the proposal parser holds the Azure values
// it does not list (SKU, IPsec algorithms) to it too. It also keeps what a
// proposal names from carrying line breaks or formatting into a message.
const AzureNamePattern = `[A-Za-z0-9._-]{1,80}`

var azureName = regexp.MustCompile(`^` + AzureNamePattern + `$`)

// ValidAzureName reports whether s matches AzureNamePattern.
func ValidAzureName(s string) bool { return azureName.MatchString(s) }
