// Package archtest holds the test that keeps the layout honest: which
// package may import which (the domain pure, Slack only in bot, the config
// file read only by cmd). It has no code of its own.
package archtest
