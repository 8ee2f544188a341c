//go:build !unix

package pgtest

import (
	"errors"
	"os/exec"
)

// account is not needed where there is no root to avoid.
type account struct{}

// unprivileged says the harness does not run here: it talks to the server
// over a Unix socket.
func unprivileged() (*account, error) {
	return nil, errors.New("the PostgreSQL test server runs on Unix systems only")
}

func (a *account) own(paths ...string) error { return nil }

func (a *account) apply(cmd *exec.Cmd) {}

func processAlive(pid int) bool { return true }
