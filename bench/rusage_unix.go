//go:build unix

package main

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// usage is the part of a process's resource usage the report shows.
type usage struct {
	maxRSS    int64 // peak resident set size in bytes; 0 if unknown
	user, sys time.Duration
}

func (u usage) cpu() time.Duration { return u.user + u.sys }

func fromRusage(ru *syscall.Rusage) usage {
	rss := int64(ru.Maxrss)
	if runtime.GOOS != "darwin" && runtime.GOOS != "ios" {
		rss *= 1024 // KiB everywhere but Apple's systems, which report bytes
	}
	return usage{
		maxRSS: rss,
		user:   time.Duration(ru.Utime.Nano()),
		sys:    time.Duration(ru.Stime.Nano()),
	}
}

// childUsage returns the resources an exited child used.
func childUsage(ps *os.ProcessState) usage {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return fromRusage(ru)
	}
	return usage{}
}

// selfUsage returns the resources this process (the fixture servers) has used.
func selfUsage() usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return usage{}
	}
	return fromRusage(&ru)
}
