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
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprintf(a.stdout, "trawl %s (schema %d)\n", crawler.Version(), store.SchemaVersion())
		},
	}
}
