package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// childResult is what one crawler process did, as seen from outside.
type childResult struct {
	argv      []string      // the command line, binary first
	stdout    string        // all of it; both crawlers print one summary line
	stderr    string        // the last few kilobytes
	wall      time.Duration // from start to exit
	exitCode  int
	timedOut  bool
	usage     usage // the child's resources
	serverCPU time.Duration
	machine   cpuTimes // the whole machine's CPU time over the run; zero off Linux
}

// cpuTimes is the machine's CPU time by kind, summed over its CPUs, from the
// first line of /proc/stat. Steal is time the hypervisor gave another guest
// while this one wanted to run: a round in which the crawlers' cores drop
// with steal rising was slowed from outside, not by the crawler.
type cpuTimes struct {
	idle, steal time.Duration // idle includes iowait
}

// userHZ is the unit of /proc/stat, USER_HZ, 100 on every Linux ABI.
const userHZ = 100

// readCPUTimes reads /proc/stat; ok is false where there is none.
func readCPUTimes() (t cpuTimes, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return t, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return t, false
	}
	tick := func(i int) time.Duration {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		return time.Duration(n) * time.Second / userHZ
	}
	t.idle = tick(4) + tick(5)
	t.steal = tick(8)
	return t, true
}

func (t cpuTimes) sub(u cpuTimes) cpuTimes {
	return cpuTimes{idle: t.idle - u.idle, steal: t.steal - u.steal}
}

// stderrTail bounds how much of a child's stderr the report keeps.
const stderrTail = 4 << 10

// runChild runs bin with args, stderr going to the file errPath, and waits for
// it. A child still running after timeout gets SIGTERM (trawl stops gracefully
// and stays resumable), then SIGKILL 15 seconds later. An error means the child
// could not be run at all; its exit status is in the result.
func runChild(ctx context.Context, bin string, args []string, errPath string, timeout time.Duration) (*childResult, error) {
	errFile, err := os.Create(errPath)
	if err != nil {
		return nil, err
	}
	defer errFile.Close()
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(tctx, bin, args...)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, errFile
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second

	before := selfUsage()
	machine, machineOK := readCPUTimes()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	// The child's exec is done once Start returns: what this process's own
	// high-water mark is now is what the child's rusage may have inherited.
	inherited := selfUsage().maxRSS
	stopWatch := make(chan struct{})
	sampled := watchPeakRSS(cmd.Process.Pid, stopWatch)
	waitErr := cmd.Wait()
	close(stopWatch)
	hwm := <-sampled
	res := &childResult{
		argv:      append([]string{bin}, args...),
		stdout:    stdout.String(),
		wall:      time.Since(start),
		timedOut:  errors.Is(tctx.Err(), context.DeadlineExceeded),
		serverCPU: selfUsage().cpu() - before.cpu(),
	}
	if after, ok := readCPUTimes(); ok && machineOK {
		res.machine = after.sub(machine)
	}
	if cmd.ProcessState == nil {
		return nil, fmt.Errorf("wait %s: %w", bin, waitErr)
	}
	res.exitCode = cmd.ProcessState.ExitCode()
	res.usage = childUsage(cmd.ProcessState)
	if res.usage.maxRSS <= inherited && hwm > 0 {
		// rusage's figure may be this process's, not the child's (see
		// watchPeakRSS): the sampled one is the child's, less at most the
		// growth of its last sampling interval.
		res.usage.maxRSS = hwm
	}
	if b, err := os.ReadFile(errPath); err == nil {
		if len(b) > stderrTail {
			b = b[len(b)-stderrTail:]
		}
		res.stderr = strings.TrimSpace(string(b))
	}
	return res, nil
}

// commandLine quotes argv for a shell, for the report.
func commandLine(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~!") {
			b.WriteString(a)
			continue
		}
		b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	return b.String()
}
