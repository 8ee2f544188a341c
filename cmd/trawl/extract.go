package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trawl-crawler/trawl/crawler"
	"github.com/trawl-crawler/trawl/extract"
)

func (a *app) extractCmd() *cobra.Command {
	var config, rule string
	var run int64
	cmd := &cobra.Command{
		Use:   "extract DB --config FILE",
		Short: "Re-run extraction rules over stored bodies, without fetching",
		Long: `Run the extraction rules of a config file again over the bodies that a crawl
kept with --store-body (store_body: true), replacing the items those rules
made before. Nothing is fetched: edit a selector, re-extract, query again.

` + exitCodesHelp(exitOK, exitFailed, exitUsage, exitLocked),
		Example: `  trawl extract site.db --config site.yaml
  trawl extract site.db --config site.yaml --rule products --run 3`,
		Args: argCount(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if config == "" {
				return usageErr("--config is required: the file with the rules to run")
			}
			fc, err := loadConfig(config)
			if err != nil {
				return usageErr("%w", err)
			}
			rules := fc.rules()
			if len(rules) == 0 {
				return usageErr("%s has no rules", config)
			}
			if rule != "" && !slices.ContainsFunc(rules, func(r extract.RuleSpec) bool { return r.Name == rule }) {
				names := make([]string, len(rules))
				for i, r := range rules {
					names[i] = r.Name
				}
				return usageErr("--rule %q: %s has no such rule (its rules: %s)", rule, config, strings.Join(names, ", "))
			}
			// Checked read-only first: store.Open would create a missing
			// file, and nothing is changed when there is nothing to do.
			ro, err := openReadOnly(ctx, args[0])
			if err != nil {
				return err
			}
			err = checkBodies(ctx, ro, args[0], run)
			ro.Close()
			if err != nil {
				return err
			}
			db, err := openWrite(ctx, args[0], 0)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := lockDB(ctx, db); err != nil {
				return err
			}
			defer db.Unlock(ctx)
			res, err := crawler.Reextract(ctx, db, rules, rule, run)
			if err != nil {
				return &exitError{code: exitFailed, err: err}
			}
			fmt.Fprintf(a.stdout, "trawl: extract pages=%d items=%d misses=%d failed=%d db=%s\n",
				res.Pages, res.Items, res.Misses, res.Failed, dbName(args[0]))
			return nil
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "config file with the rules (required)")
	cmd.Flags().StringVar(&rule, "rule", "", "re-run only this rule")
	cmd.Flags().Int64Var(&run, "run", 0, "only bodies fetched in this run (default: the latest body of every URL)")
	return cmd
}

// checkBodies returns a usage error when the database at path keeps no
// bodies to re-extract (of run, when not 0), or does not have run.
func checkBodies(ctx context.Context, db bodySource, path string, run int64) error {
	if run != 0 {
		if err := runsExist(ctx, db, path, run); err != nil {
			return err
		}
	}
	has, err := db.HasBodies(ctx, run)
	switch {
	case err != nil:
		return &exitError{code: exitFailed, err: fmt.Errorf("%s: %w", dbName(path), err)}
	case has:
		return nil
	case run != 0:
		return usageErr("run %d of %s kept no page bodies, so there is nothing to re-extract; crawl with --store-body (store_body: true) to keep them", run, dbName(path))
	}
	return usageErr("%s keeps no page bodies, so there is nothing to re-extract; crawl with --store-body (store_body: true) to keep them", dbName(path))
}
