package main

import (
	"github.com/exhunt/exhunt/internal/exchange"
)

func runBuildMail(g *globalOptions, o *buildOptions, kb *exchange.KB, args []string) error {
	return usagef("--mail: not built yet")
}
