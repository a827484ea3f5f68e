package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rakam-ml/rakam/internal/atomicfile"
	"github.com/rakam-ml/rakam/study"
	"github.com/rakam-ml/rakam/train"
)

// jobIndexEnv is set by Kubernetes in each pod of an Indexed Job (0-based).
const jobIndexEnv = "JOB_COMPLETION_INDEX"

// shardSpec is --shard I/N as parsed.
type shardSpec struct{ i, n int }

// trialSelection is what a distributed run trains: the trials numbered
// trials, or those of shard (once the plan's size is known).
type trialSelection struct {
	trials []int
	shard  *shardSpec
}

// trialsToRun returns what a distributed run trains (nil for an ordinary
// one-process search): --trial I, --shard I/N, or, with --trial-dir and
// neither, trial JOB_COMPLETION_INDEX+1. Which trials exist is checked
// once the plan is known.
func trialsToRun(fs *flag.FlagSet, trial int, shard, dir string) (*trialSelection, error) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case set["trial"] && set["shard"]:
		return nil, usagef("give --trial or --shard, not both")
	case (set["trial"] || set["shard"]) && dir == "":
		return nil, usagef("--trial and --shard write result files: give --trial-dir")
	case set["trial"]:
		if trial < 1 {
			return nil, usagef("--trial must be at least 1 (trials are numbered from 1), got %d", trial)
		}
		return &trialSelection{trials: []int{trial}}, nil
	case set["shard"]:
		s, err := parseShard(shard)
		if err != nil {
			return nil, err
		}
		return &trialSelection{shard: &s}, nil
	case dir != "":
		v, ok := os.LookupEnv(jobIndexEnv)
		if !ok {
			return nil, usagef("--trial-dir needs --trial I or --shard I/N (or %s set, as in a Kubernetes Indexed Job)", jobIndexEnv)
		}
		k, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || k < 0 {
			return nil, usagef("%s=%q: want a whole number ≥ 0", jobIndexEnv, v)
		}
		return &trialSelection{trials: []int{k + 1}}, nil
	}
	return nil, nil
}

func parseShard(s string) (shardSpec, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return shardSpec{}, usagef("--shard %q: want I/N with N ≥ 1 and 0 ≤ I < N", s)
	}
	return shardSpec{i, n}, nil
}

// runSearchTrials trains the trials of which (see trialsToRun) and writes
// their result files into dir.
func runSearchTrials(ctx context.Context, e *env, cfg study.SearchConfig, val int, d *study.Data, sel *trialSelection, dir string, quiet, asJSON bool) error {
	plan, err := study.PlanSearch(cfg, val, d.SHA256)
	if err != nil {
		return usagef("%v", strings.TrimPrefix(err.Error(), "study: "))
	}
	which := sel.trials
	if sel.shard != nil {
		which = study.ShardTrials(sel.shard.i, sel.shard.n, plan.Total)
		if len(which) == 0 && !quiet {
			fmt.Fprintf(e.stderr, "shard %d/%d has no trials: the search has %d\n", sel.shard.i, sel.shard.n, plan.Total)
		}
	}
	for _, t := range which {
		if t > plan.Total {
			return usagef("--trial %d: the search has trials 1 to %d", t, plan.Total)
		}
	}
	if err := atomicfile.CheckWritable(dir); err != nil {
		return fmt.Errorf("--trial-dir: %w", err)
	}
	var log io.Writer
	if !quiet {
		log = e.stderr
	}
	ts, err := study.RunTrials(ctx, plan, d, which, dir, log)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, train.ErrInterrupted) {
			return &exitError{code: exitInterrupted, err: errors.New("interrupted")}
		}
		return err
	}
	if asJSON {
		return writeJSON(e.stdout, map[string]any{"plan": plan, "trials": ts})
	}
	return nil
}

// runSearchMerge is 'rakam search merge DIR'.
func runSearchMerge(_ context.Context, e *env, args []string) error {
	var (
		data, out     string
		asJSON, quiet bool
	)
	fs := newFlags(e, "search merge", "[flags] DIR", `
Reads the trial result files that 'rakam search --trial-dir DIR' runs wrote
into DIR, checks that they are of one search and that none is missing, and
prints the table and the winner as the one-process search does (the winner,
loaded from its model file, is the only model scored on the test set).`)
	fs.StringVar(&data, "data", "", "directory with the MNIST IDX files (default: $RAKAM_DATA, then the GoMNIST module)")
	fs.StringVar(&out, "out", "", "save the winner as a model `file` (safetensors)")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	fs.BoolVar(&quiet, "quiet", false, "no progress output")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("give one folder of trial results, e.g. 'rakam search merge out/search'")
	}
	dir := fs.Arg(0)
	if out != "" {
		if err := atomicfile.CheckTarget(out); err != nil {
			return fmt.Errorf("--out %s: %w", out, err)
		}
	}
	plan, err := study.ReadSearchPlan(dir)
	if err != nil {
		return err
	}
	d, err := loadData(data, plan.Val, plan.Seed)
	if err != nil {
		return err
	}
	if !quiet {
		fmt.Fprintf(e.stderr, "merging %d trials of %s\n", plan.Total, filepath.Clean(dir))
	}
	res, err := study.MergeSearch(dir, d)
	if err != nil {
		return err
	}
	return printSearch(e, res, d, out, asJSON)
}
