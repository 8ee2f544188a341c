package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenSaysWhichPartOfThePathIsWrong checks that Open reports a database
// path it cannot create as a typed *UnwritableError that names the
// directory at fault, not the probe file it tried.
func TestOpenSaysWhichPartOfThePathIsWrong(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, want string }{
		{filepath.Join(dir, "nodir", "a.db"), "cannot create " + filepath.Join(dir, "nodir", "a.db") + ": the directory " + filepath.Join(dir, "nodir") + " does not exist"},
		{filepath.Join(file, "a.db"), "cannot create " + filepath.Join(file, "a.db") + ": " + file + " is a file, not a directory"},
		{filepath.Join(file, "sub", "a.db"), "cannot create " + filepath.Join(file, "sub", "a.db") + ": " + file + " is a file, not a directory"},
	}
	for _, c := range cases {
		db, err := Open(context.Background(), c.path)
		if err == nil {
			db.Close()
			t.Fatalf("Open(%s) succeeded", c.path)
		}
		var ue *UnwritableError
		if !errors.As(err, &ue) || ue.Path != c.path || err.Error() != c.want {
			t.Errorf("Open(%s): %#v\n got %v\nwant %s", c.path, err, err, c.want)
		}
		if strings.Contains(err.Error(), "probe") {
			t.Errorf("Open(%s): %v names the probe file", c.path, err)
		}
	}
}
