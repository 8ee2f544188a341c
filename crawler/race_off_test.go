//go:build !race

package crawler

// raceEnabled: see race_on_test.go.
const raceEnabled = false
