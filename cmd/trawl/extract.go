package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/store"
)

func (a *app) extractCmd() *cobra.Command {
	var config, rule string
	var run int64
	cmd := &cobra.Command{
		Use:   "extract DB --config FILE",
		Short: "Re-run extraction rules over stored bodies, without fetching",
		Long: `Run the extraction rules of a config file again over the bodies that a crawl
kept with --store-body (store_body: true), replacing the items those rules
made before. Nothing is fetched: edit a selector, re-extract, query again.`,
		Example: `  trawl extract site.db --config site.yaml
  trawl extract site.db --config site.yaml --rule products --run 3`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if config == "" {
				return usageErr("--config is required: the file with the rules to run")
			}
			fc, err := loadConfig(config)
			if err != nil {
				return usageErr("%w", err)
			}
			if len(fc.Rules) == 0 {
				return usageErr("%s has no rules", config)
			}
			// Checked read-only first: store.Open would create a missing file.
			ro, err := openReadOnly(ctx, args[0])
			if err != nil {
				return err
			}
			ro.Close()
			db, err := store.Open(ctx, args[0])
			if err != nil {
				return usageErr("%w", err)
			}
			defer db.Close()
			if err := lockDB(ctx, db); err != nil {
				return err
			}
			defer db.Unlock(ctx)
			res, err := crawler.Reextract(ctx, db, fc.Rules, rule, run)
			if err != nil {
				return &exitError{code: exitFailed, err: err}
			}
			fmt.Fprintf(a.stdout, "trawl: extract pages=%d items=%d misses=%d failed=%d db=%s\n",
				res.Pages, res.Items, res.Misses, res.Failed, args[0])
			if res.Pages == 0 {
				fmt.Fprintln(a.stderr, "trawl: no stored bodies; crawl with --store-body to keep them")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "config file with the rules (required)")
	cmd.Flags().StringVar(&rule, "rule", "", "re-run only this rule")
	cmd.Flags().Int64Var(&run, "run", 0, "only bodies fetched in this run (default: the latest body of every URL)")
	return cmd
}
