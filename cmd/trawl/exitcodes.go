package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Exit codes; cron jobs and scripts depend on them. exitCodes says what each
// means, and every place that documents them (--help, README.md) is made
// from or checked against that table.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitStopped     = 3
	exitLocked      = 4
	exitNoSuccess   = 5
	exitInterrupted = 130
	exitTerminated  = 143
)

// exitCode documents one exit status.
type exitCode struct {
	code int
	// meaning is one sentence in Markdown: flags are in backticks, which
	// the --help rendering drops.
	meaning string
}

// exitCodes is the table of exit statuses, in order. A new code is a
// constant above and a row here; the README check and the test that makes
// the binary return every code pick it up.
func exitCodes() []exitCode {
	return []exitCode{
		{exitOK, "success: the crawl finished, or the command did what it was asked"},
		{exitFailed, "an error ended the command (for example a full disk, or an output file that cannot be written); fix it and run the same command again (a crawl resumes)"},
		{exitUsage, "bad input (a flag, URL, config file, database path, a PostgreSQL database that cannot be used: unreachable, a refused login, another application's tables; or a run, rule or stored bodies the database does not have); nothing was changed"},
		{exitStopped, "a budget (`--max-pages`, `--max-duration`) stopped the crawl; run the same command again to continue"},
		{exitLocked, "another trawl process is working on this database"},
		{exitNoSuccess, "the run finished without a single successful page (every host unreachable, denied by robots.txt or failing): a dead site, not a finished crawl; a run with some failures among successes exits 0"},
		{exitInterrupted, "interrupted by SIGINT (Ctrl-C); run the same command again to resume"},
		{exitTerminated, "interrupted by SIGTERM; run the same command again to resume"},
	}
}

// exitCodesMarkdown is the exit code table as README.md has it.
func exitCodesMarkdown() string {
	var b strings.Builder
	b.WriteString("| code | meaning |\n| --- | --- |\n")
	for _, c := range exitCodes() {
		fmt.Fprintf(&b, "| %d | %s |\n", c.code, c.meaning)
	}
	return b.String()
}

// exitCodesHelp renders, for --help, the rows of the exit code table for
// codes (all of them when codes is empty), wrapped to 80 columns.
func exitCodesHelp(codes ...int) string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, c := range exitCodes() {
		if len(codes) > 0 && !slices.Contains(codes, c.code) {
			continue
		}
		text := strings.ReplaceAll(c.meaning, "`", "")
		line := fmt.Sprintf("  %-5s", strconv.Itoa(c.code))
		for _, word := range strings.Fields(text) {
			if len(line)+1+len(word) > 80 && strings.TrimSpace(line) != "" {
				b.WriteString(line + "\n")
				line = "       "
			}
			if !strings.HasSuffix(line, " ") {
				line += " "
			}
			line += word
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}
