//go:build !unix

package postgres

// processAlive cannot tell here: the worker is taken to be alive until its
// lease runs out.
func processAlive(pid int) bool { return true }
