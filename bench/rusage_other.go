//go:build !unix

package main

import (
	"os"
	"time"
)

// usage is the part of a process's resource usage the report shows. Outside
// Unix it is only the CPU time the process state offers.
type usage struct {
	maxRSS    int64 // peak resident set size in bytes; 0 if unknown
	user, sys time.Duration
}

func (u usage) cpu() time.Duration { return u.user + u.sys }

func childUsage(ps *os.ProcessState) usage {
	return usage{user: ps.UserTime(), sys: ps.SystemTime()}
}

func selfUsage() usage { return usage{} }
