package commands

import (
	"context"

	"github.com/doorbot/doorbot/handlers"
)

func helpCommand(r *Registry) Command {
	return Command{
		Name:    "help",
		Usage:   "/door help",
		Summary: "this text",
		Run:     func(context.Context, Request) handlers.Reply { return r.Help() },
	}
}
