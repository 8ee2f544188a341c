package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/agnivade/levenshtein"
)

// closest is the name among names that a mistyped name most likely meant:
// the one that differs from it by a '-' written for '_' (or the reverse:
// flags use '-', config keys '_'), else the nearest within an edit distance
// of 2 (a swap of two letters counting as 1; and less than half its length, so that short words do not match
// everything). It is "" when nothing is that close.
func closest(typed string, names []string) string {
	for _, n := range names {
		if strings.ReplaceAll(typed, "-", "_") == strings.ReplaceAll(n, "-", "_") {
			return n
		}
	}
	best, bestD := "", 3
	for _, n := range names {
		d := levenshtein.ComputeDistance(typed, n)
		if d == 2 && sameLetters(typed, n) {
			d = 1 // two letters swapped, the commonest typo ("dealy")
		}
		if d < bestD && 2*d < len(typed) {
			best, bestD = n, d
		}
	}
	return best
}

// sameLetters reports whether a and b are the same letters in another order.
func sameLetters(a, b string) bool {
	x, y := []rune(a), []rune(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// suggestFlag adds to pflag's "unknown flag: --dealy" the flag of cmd that
// was probably meant.
func suggestFlag(cmd *cobra.Command, err error) error {
	typed, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return err
	}
	typed, _, _ = strings.Cut(typed, "=")
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	if n := closest(typed, names); n != "" {
		return fmt.Errorf("%w (did you mean --%s? see %s --help)", err, n, cmd.CommandPath())
	}
	return fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath())
}
