package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/store"
)

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print trawl's version and database schema version",
		Args:  argCount(0, 0),
		Run: func(*cobra.Command, []string) {
			fmt.Fprintln(a.stdout, versionLine())
		},
	}
}

// versionLine is what trawl version and trawl --version print.
func versionLine() string {
	return fmt.Sprintf("trawl %s (schema %d)", crawler.Version(), store.SchemaVersion())
}
