package main

import (
	"cmp"
	"errors"
	"io"
	"strings"
	"time"

	"golang.org/x/exp/trace"
)

// maxStackDepth is the runtime's default depth of a traced stack: a stack
// this deep may be cut short, so its last frame need not be where the
// goroutine started.
const maxStackDepth = 128

// roles name the goroutines of a crawl by a frame found in their stacks.
// The first role of the list that matches wins.
var roles = []struct{ frame, role string }{
	{"/crawler.(*writer).run", "writer"},
	{"/crawler.(*dispatcher).loop", "dispatcher"},
	{"/crawler.(*Crawler).work", "fetcher"},
	{"/crawler.(*reader).start", "store reader"},
	{"net/http.(*conn).serve", "server conn"},
	{"net/http.(*persistConn).readLoop", "client readLoop"},
	{"net/http.(*persistConn).writeLoop", "client writeLoop"},
	{"runtime.gcBgMarkWorker", "GC worker"},
}

// goroutine is what the window showed of one goroutine.
type goroutine struct {
	id     trace.GoID
	state  trace.GoState
	since  trace.Time
	reason string      // why it waits, while waiting
	site   string      // the call that entered the kernel, while in a syscall
	stack  trace.Stack // where it waits or entered the kernel

	start   string // the function it was started with
	bottom  string // the last frame of a stack that was not cut short
	role    int    // index into roles; len(roles) for none
	in      [trace.GoSyscall + 1]time.Duration
	starts  int                      // times it went from runnable to running
	waits   map[string]time.Duration // blocked time by reason
	sysWait map[string]time.Duration // syscall time by call site
	// Blocked and syscall time by stack, and the CPU profile's samples of
	// the goroutine (a trace has them when a CPU profile was taken
	// meanwhile), for -stacks.
	waitStacks, sysStacks map[trace.Stack]time.Duration
	samples               map[trace.Stack]int
}

// startFunc is the function g was started with, as far as the trace shows.
func (g *goroutine) startFunc() string {
	switch {
	case g.start != "":
		return g.start
	case g.bottom != "":
		return g.bottom
	}
	return "(no stack in the window)"
}

func (g *goroutine) busy() time.Duration { return g.in[trace.GoRunning] + g.in[trace.GoSyscall] }

func (g *goroutine) sampleCount() int {
	n := 0
	for _, c := range g.samples {
		n += c
	}
	return n
}

// stackInfo is what a stack says about its goroutine.
type stackInfo struct {
	role   int
	bottom string // "" when the stack may be cut short
	site   string
}

// report is a window's goroutines and its processors' time.
type report struct {
	start, end trace.Time
	gs         map[trace.GoID]*goroutine
	procBusy   time.Duration // summed over Ps: time running
	procs      int
	samples    int // CPU profile samples
}

func (r *report) window() time.Duration { return r.end.Sub(r.start) }

// analyze reads a trace and accounts every goroutine's time in each state.
func analyze(in io.Reader) (*report, error) {
	tr, err := trace.NewReader(in)
	if err != nil {
		return nil, err
	}
	r := &report{gs: map[trace.GoID]*goroutine{}}
	stacks := map[trace.Stack]stackInfo{}
	type proc struct {
		state trace.ProcState
		since trace.Time
	}
	procs := map[trace.ProcID]*proc{}
	first := true
	for {
		ev, err := tr.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		t := ev.Time()
		if first {
			r.start, first = t, false
		}
		r.end = max(r.end, t)
		if ev.Kind() == trace.EventStackSample {
			r.samples++
		}
		if id := ev.Goroutine(); id != trace.NoGoroutine && ev.Stack() != trace.NoStack {
			g := r.g(id)
			r.noteStack(g, ev.Stack(), stacks)
			if ev.Kind() == trace.EventStackSample {
				g.samples[ev.Stack()]++
			}
		}
		if ev.Kind() != trace.EventStateTransition {
			continue
		}
		st := ev.StateTransition()
		switch st.Resource.Kind {
		case trace.ResourceGoroutine:
			from, to := st.Goroutine()
			g := r.g(st.Resource.Goroutine())
			if st.Stack != trace.NoStack {
				r.noteStack(g, st.Stack, stacks)
			}
			stack := st.Stack
			if stack == trace.NoStack && ev.Goroutine() == g.id {
				stack = ev.Stack()
			}
			site := "(unknown)"
			if stack != trace.NoStack {
				site = stacks[stack].site
			}
			if from == trace.GoUndetermined {
				if g.state == trace.GoUndetermined {
					// Its first event in the window: nothing happened to it
					// before, so it was in this state since the window began.
					g.state, g.since = to, r.start
					g.reason, g.site, g.stack = "(since before the window)", site, stack
				}
				continue
			}
			if g.state == trace.GoUndetermined {
				g.state, g.since = from, t
			}
			r.credit(g, t)
			if from == trace.GoNotExist && st.Stack != trace.NoStack {
				for f := range st.Stack.Frames() {
					g.start = f.Func
					break
				}
			}
			if from == trace.GoRunnable && to == trace.GoRunning {
				g.starts++
			}
			g.reason, g.site, g.stack = cmp.Or(st.Reason, "(no reason given)"), site, stack
			g.state, g.since = to, t
		case trace.ResourceProc:
			from, to := st.Proc()
			p := procs[st.Resource.Proc()]
			if p == nil {
				p = &proc{state: from, since: r.start}
				if from == trace.ProcUndetermined {
					p.state = to
				}
				procs[st.Resource.Proc()] = p
			}
			if p.state == trace.ProcRunning {
				r.procBusy += t.Sub(p.since)
			}
			p.state, p.since = to, t
		}
	}
	if first {
		return nil, errors.New("the trace has no events")
	}
	for _, g := range r.gs {
		r.credit(g, r.end)
	}
	for _, p := range procs {
		if p.state == trace.ProcRunning {
			r.procBusy += r.end.Sub(p.since)
		}
	}
	r.procs = len(procs)
	return r, nil
}

func (r *report) g(id trace.GoID) *goroutine {
	g := r.gs[id]
	if g == nil {
		g = &goroutine{id: id, role: len(roles), waits: map[string]time.Duration{}, sysWait: map[string]time.Duration{},
			waitStacks: map[trace.Stack]time.Duration{}, sysStacks: map[trace.Stack]time.Duration{}, samples: map[trace.Stack]int{}}
		r.gs[id] = g
	}
	return g
}

// credit adds the time since g's last transition to its current state.
func (r *report) credit(g *goroutine, t trace.Time) {
	if g.state == trace.GoUndetermined || g.state == trace.GoNotExist {
		g.since = t
		return
	}
	d := t.Sub(g.since)
	g.in[g.state] += d
	switch g.state {
	case trace.GoWaiting:
		g.waits[g.reason] += d
		g.waitStacks[g.stack] += d
	case trace.GoSyscall:
		g.sysWait[g.site] += d
		g.sysStacks[g.stack] += d
	}
	g.since = t
}

// noteStack takes what stack s says about g: its role, where it started.
func (r *report) noteStack(g *goroutine, s trace.Stack, cache map[trace.Stack]stackInfo) {
	info, ok := cache[s]
	if !ok {
		info = describe(s)
		cache[s] = info
	}
	g.role = min(g.role, info.role)
	if g.bottom == "" && info.bottom != "" {
		g.bottom = info.bottom
	}
}

// describe reads a stack once.
func describe(s trace.Stack) stackInfo {
	info := stackInfo{role: len(roles)}
	var last string
	n := 0
	for f := range s.Frames() {
		n++
		if f.Func != "runtime.goexit" { // CPU profile stacks end in it
			last = f.Func
		}
		if info.site == "" && !kernelSide(f.Func) && !libcInside(f.Func) {
			info.site = f.Func
		}
		for i, ro := range roles[:info.role] {
			if strings.Contains(f.Func, ro.frame) {
				info.role = i
				break
			}
		}
	}
	if n < maxStackDepth {
		info.bottom = last
	}
	return info
}

// kernelSide reports whether a frame belongs to the way into a system call
// rather than to the code that asked for it.
func kernelSide(fn string) bool {
	for _, p := range []string{"runtime.", "syscall.", "internal/", "golang.org/x/sys/unix."} {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}

// libcInside reports whether a frame is inside modernc.org/libc's way to the
// kernel (modernc.org/sqlite is C translated to Go, on a libc of Go), below
// the libc function SQLite called, such as Xpwrite or Xfsync.
func libcInside(fn string) bool {
	return strings.HasPrefix(fn, "modernc.org/libc.X__") || strings.HasPrefix(fn, "modernc.org/libc._")
}

// group is the goroutines of one role and start function.
type group struct {
	role, start string
	members     []*goroutine
}

func (gr *group) sum(s trace.GoState) time.Duration {
	var d time.Duration
	for _, g := range gr.members {
		d += g.in[s]
	}
	return d
}

// groups puts the window's goroutines into groups. A goroutine whose
// stacks name no role takes the role of the others started with the same
// function (a fetcher idle for the whole window shows only its loop).
func (r *report) groups() []*group {
	byStart := map[string]int{}
	for _, g := range r.gs {
		if g.role == len(roles) {
			continue
		}
		s := g.startFunc()
		if prev, ok := byStart[s]; ok && prev != g.role {
			byStart[s] = -1 // started alike, playing different roles
		} else if !ok {
			byStart[s] = g.role
		}
	}
	idx := map[[2]string]*group{}
	var out []*group
	for _, g := range r.gs {
		role := g.role
		if i, ok := byStart[g.startFunc()]; role == len(roles) && ok && i >= 0 {
			role = i
		}
		name := ""
		if role < len(roles) {
			name = roles[role].role
		}
		key := [2]string{name, g.startFunc()}
		gr := idx[key]
		if gr == nil {
			gr = &group{role: name, start: g.startFunc()}
			idx[key] = gr
			out = append(out, gr)
		}
		gr.members = append(gr.members, g)
	}
	return out
}
