package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/study"
)

// TestSearchTrialsMerge runs a search of 12 trials in one process, then as
// 12 separate processes of 'rakam search --trial I' plus 'rakam search merge', and
// requires the same table and winner (JSON and text) apart from timing, and
// the same winner's weights saved by --out. Three --shard runs and one run
// selected by JOB_COMPLETION_INDEX must write the same trial results, and
// merge must refuse a folder with a trial missing or of another search.
func TestSearchTrialsMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("trains in -short mode")
	}
	f := newRelFixture(t)
	search := []string{"search", "--data", filepath.Join(f.root, "mn"), "--val", relVal, "--trials", "12", "--epochs", "1",
		"--space", "lr=0.0003..0.01;hidden=16,32;batch=50,100;optimizer=adam,sgd", "--quiet"}
	cli := func(args ...string) string {
		t.Helper()
		code, out, errs := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("rakam %s = %d: %s", strings.Join(args, " "), code, errs)
		}
		return out
	}
	with := func(extra ...string) []string { return append(append([]string(nil), search...), extra...) }
	dir := t.TempDir()
	oneModel, mergedModel := filepath.Join(dir, "one.safetensors"), filepath.Join(dir, "merged.safetensors")
	oneJSON := cli(with("--json", "--out", oneModel)...)
	oneText := cli(search...)

	// The trials run as 12 separate processes of the built binary, as the
	// pods of an Indexed Job would (JOB_COMPLETION_INDEX is tested below).
	bin := filepath.Join(dir, "rakam")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	trials := filepath.Join(dir, "trials")
	for i := 1; i <= 12; i++ {
		cmd := exec.Command(bin, with("--trial-dir", trials, "--trial", strconv.Itoa(i))...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("rakam search --trial %d (a process of its own): %v\n%s", i, err, out)
		}
	}
	mergedJSON := cli("search", "merge", "--data", filepath.Join(f.root, "mn"), "--quiet", "--json", "--out", mergedModel, trials)
	mergedText := cli("search", "merge", "--data", filepath.Join(f.root, "mn"), "--quiet", trials)

	a, b := withoutTiming(t, oneJSON), withoutTiming(t, mergedJSON)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("search --json in one process:\n%s\nmerged from 12 trial runs:\n%s", oneJSON, mergedJSON)
	}
	if n := len(a["trials"].([]any)); n != 12 {
		t.Fatalf("the search has %d trials; want 12", n)
	}
	if x, y := tableWithoutSeconds(oneText), tableWithoutSeconds(mergedText); x != y {
		t.Errorf("table of one process:\n%s\nmerged:\n%s", x, y)
	}
	wa, wb := modelWeights(t, oneModel), modelWeights(t, mergedModel)
	if !reflect.DeepEqual(wa, wb) {
		t.Error("the winner saved by 'search --out' and by 'search merge --out' have different weights")
	}

	// --shard I/N and JOB_COMPLETION_INDEX select the same trials.
	shards := filepath.Join(dir, "shards")
	for i := range 3 {
		cli(with("--trial-dir", shards, "--shard", fmt.Sprintf("%d/3", i))...)
	}
	t.Setenv(jobIndexEnv, "4")
	indexed := filepath.Join(dir, "indexed")
	var run struct {
		Trials []struct {
			Index int `json:"index"`
		} `json:"trials"`
	}
	if err := json.Unmarshal([]byte(cli(with("--trial-dir", indexed, "--json")...)), &run); err != nil || len(run.Trials) != 1 || run.Trials[0].Index != 5 {
		t.Errorf("%s=4 search --json: %+v, %v; want trial 5 reported", jobIndexEnv, run, err)
	}
	for i := 1; i <= 12; i++ {
		want := trialResult(t, filepath.Join(trials, study.TrialFile(i)))
		if got := trialResult(t, filepath.Join(shards, study.TrialFile(i))); !reflect.DeepEqual(got, want) {
			t.Errorf("trial %d: --shard wrote %v; --trial wrote %v", i, got, want)
		}
	}
	if got, want := trialResult(t, filepath.Join(indexed, study.TrialFile(5))), trialResult(t, filepath.Join(trials, study.TrialFile(5))); !reflect.DeepEqual(got, want) {
		t.Errorf("%s=4 wrote %v; --trial 5 wrote %v", jobIndexEnv, got, want)
	}
	if entries, _ := os.ReadDir(indexed); len(entries) != 2 {
		t.Errorf("%s=4 wrote %d files; want trial 5's result and model", jobIndexEnv, len(entries))
	}

	// A missing trial, and a trial of another search, are refused by name.
	if err := os.Remove(filepath.Join(shards, study.TrialFile(7))); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "search", "merge", "--data", filepath.Join(f.root, "mn"), shards); code != 1 || !strings.Contains(errs, "lacks 1 of the search's 12 trials: 7") {
		t.Errorf("merge with trial 7 missing = %d, %q; want 1 and the missing trial named", code, errs)
	}
	other := filepath.Join(dir, "other")
	cli(append(with("--trial-dir", other, "--trial", "7"), "--seed", "2")...)
	b7, err := os.ReadFile(filepath.Join(other, study.TrialFile(7)))
	if err != nil {
		t.Fatal(err)
	}
	relWrite(t, filepath.Join(shards, study.TrialFile(7)), b7)
	if code, _, errs := runCLI(t, "search", "merge", "--data", filepath.Join(f.root, "mn"), shards); code != 1 || !strings.Contains(errs, "different searches") {
		t.Errorf("merge with a trial of another seed = %d, %q; want 1 and 'different searches'", code, errs)
	}
	for _, bad := range [][]string{with("--trial", "3"), with("--trial-dir", trials, "--trial", "13"), with("--trial-dir", trials, "--trial", "0"),
		with("--trial-dir", trials, "--shard", "3/3"), with("--trial-dir", trials, "--shard", "1/3", "--trial", "2")} {
		if code, _, errs := runCLI(t, bad...); code != 2 {
			t.Errorf("rakam %s = %d, %q; want usage error 2", strings.Join(bad[len(search):], " "), code, errs)
		}
	}
}

// timingKeys are the JSON fields that measure time, not the search.
var timingKeys = map[string]bool{"seconds": true, "train_seconds": true, "seconds_per_epoch": true,
	"train_images_per_second": true, "wall_seconds": true}

// withoutTiming decodes a JSON object and drops the timing fields at every depth.
func withoutTiming(t *testing.T, s string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, s)
	}
	var strip func(any)
	strip = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			for k, e := range x {
				if timingKeys[k] {
					delete(x, k)
				} else {
					strip(e)
				}
			}
		case []any:
			for _, e := range x {
				strip(e)
			}
		}
	}
	strip(v)
	return v
}

var secondsColumn = regexp.MustCompile(`(?m) +[0-9.]+$`)

// tableWithoutSeconds drops the seconds column of search's text table.
func tableWithoutSeconds(s string) string { return secondsColumn.ReplaceAllString(s, "") }

// trialResult is a trial file's content without its seconds.
func trialResult(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return withoutTiming(t, string(b))
}

func modelWeights(t *testing.T, path string) [][]float32 {
	t.Helper()
	m, _, err := nn.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var w [][]float32
	for _, p := range m.Tensors() {
		w = append(w, p.Value.Data)
	}
	return w
}
