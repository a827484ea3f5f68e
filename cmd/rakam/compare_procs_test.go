package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/study"
)

// TestCompareOnlyProcesses is issue 12's check for the study spread over
// pods: every recipe trained by its own process of the built binary
// ('rakam compare --only NAME'), then one 'rakam compare' over that models
// folder, gives the results.json of a single 'rakam compare', apart from
// timing (the date, the machine, the command line, the seconds, and the
// analysis sentence that quotes training times).
func TestCompareOnlyProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("trains in -short mode")
	}
	f := newRelFixture(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "rakam")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	args := func(out string, extra ...string) []string {
		return append([]string{"compare", "--data", filepath.Join(f.root, "mn"), "--val", relVal, "--quick", "--epochs", "1",
			"--trials", "2", "--out", out, "--quiet"}, extra...)
	}
	run := func(a ...string) {
		t.Helper()
		if out, err := exec.Command(bin, a...).CombinedOutput(); err != nil {
			t.Fatalf("rakam %s: %v\n%s", strings.Join(a, " "), err, out)
		}
	}
	one, parts := filepath.Join(dir, "one"), filepath.Join(dir, "parts")
	run(args(one)...)
	names, err := study.CompareConfig{Quick: true, Epochs: 1, Trials: 2}.RecipeNames()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		run(args(parts, "--only", n)...)
	}
	run(args(parts)...)
	a, b := timeless(t, filepath.Join(one, "results.json")), timeless(t, filepath.Join(parts, "results.json"))
	if !reflect.DeepEqual(a, b) {
		ja, _ := json.MarshalIndent(a, "", " ")
		jb, _ := json.MarshalIndent(b, "", " ")
		t.Errorf("one compare and %d compare --only processes then compare give different results.json:\n%.2000s\n---\n%.2000s", len(names), ja, jb)
	}
}

// timeless reads a results.json without its timing fields.
func timeless(t *testing.T, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var strip func(v any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, e := range x {
				if k == "date" || k == "machine" || k == "command" || strings.Contains(k, "seconds") || strings.HasSuffix(k, "per_second") {
					continue
				}
				if k == "text" && x["topic"] == "speed" {
					continue
				}
				out[k] = strip(e)
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = strip(e)
			}
			return out
		}
		return v
	}
	return strip(v)
}
