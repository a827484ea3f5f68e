package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rakam-ml/rakam/internal/atomicfile"
	"github.com/rakam-ml/rakam/report"
	"github.com/rakam-ml/rakam/study"
	"github.com/rakam-ml/rakam/train"
)

func init() {
	register(&command{name: "compare", summary: "run the whole study: the seed's table, the six improvements, a report", run: runCompare})
}

func runCompare(ctx context.Context, e *env, args []string) error {
	cfg := study.CompareConfig{Seed: 1, Val: 5000, Out: "out"}
	var asJSON, quiet bool
	var only string
	fs := newFlags(e, "compare", "[flags]", `
Re-runs the seed study end to end on the same split and seed: study 1 (the
from-scratch network), the five TensorFlow-style models of study 2, and the
six improvements the study proposed: a CNN, the CNN with data augmentation, a
learning-rate schedule against a constant rate, early stopping, a
hyperparameter search and voting ensembles. It prints the comparison table and
writes DIR/report.html, DIR/report.md and DIR/results.json; trained models are
kept in DIR/models, so a rerun only evaluates them unless --retrain.

--only RECIPE[,RECIPE...] trains just those models into DIR/models (or
evaluates them when already there) and writes no report: processes sharing
DIR (the pods of a Kubernetes Job) can train the study's models apart, and a
final 'rakam compare' with the same flags loads them all, runs the search
and the votes, and writes the report.`)
	fs.BoolVar(&cfg.Quick, "quick", false, "fewer epochs and trials: the same shape of output in about two minutes")
	fs.StringVar(&cfg.Out, "out", cfg.Out, "output directory for models and the report")
	fs.IntVar(&cfg.Epochs, "epochs", 0, "train every model for N epochs (0: each model's default)")
	fs.BoolVar(&cfg.Retrain, "retrain", false, "train again even when DIR/models holds a model of the same recipe")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed for every model and the validation split")
	fs.IntVar(&cfg.Val, "val", cfg.Val, "training images held out for validation")
	fs.IntVar(&cfg.Trials, "trials", 0, "trials of the hyperparameter search (0: 12, or 4 with --quick)")
	fs.StringVar(&cfg.DataDir, "data", "", "directory with the MNIST IDX files (default: $RAKAM_DATA, then the GoMNIST module)")
	fs.BoolVar(&asJSON, "json", false, "print results.json's content on stdout instead of the table")
	fs.BoolVar(&quiet, "quiet", false, "no progress output")
	recipes, _ := cfg.RecipeNames()
	fs.StringVar(&only, "only", "", "train only these models, comma-separated (`RECIPES` of the study: "+strings.Join(recipes, ", ")+") into DIR/models; no report")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if cfg.Epochs < 0 || cfg.Trials < 0 {
		return usagef("--epochs and --trials must not be negative")
	}
	if cfg.Trials > study.MaxTrials {
		return usagef("--trials must be at most %d, got %d", study.MaxTrials, cfg.Trials)
	}
	if cfg.Epochs > 10000 {
		return usagef("--epochs must be at most 10000, got %d", cfg.Epochs)
	}
	if err := atomicfile.CheckWritable(cfg.Out); err != nil {
		return err
	}
	cfg.Command = "rakam compare " + strings.Join(args, " ")
	if !quiet {
		cfg.Log = e.stderr
		if train.IsTerminal(e.stderr) {
			cfg.Progress = e.stderr
		}
	}
	if only != "" {
		return runCompareOnly(ctx, e, cfg, only, asJSON)
	}
	c, err := study.Compare(ctx, cfg)
	if err != nil {
		return compareError(err, cfg.Out)
	}
	// study runs the study; the report is written here, from what it returns.
	if err := report.Write(c.Dir, c.Input); err != nil {
		return err
	}
	if cfg.Log != nil {
		fmt.Fprintf(cfg.Log, "done in %.0fs: %s\n", time.Since(c.Input.Date).Seconds(), filepath.Join(c.Dir, report.HTMLFile))
	}
	if asJSON {
		return writeJSON(e.stdout, c.Input)
	}
	if err := report.Table(e.stdout, c.Input); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nreport: %s/report.html (also report.md, results.json)\n", c.Dir)
	return nil
}

// compareError turns a failed study into the command's error: a validation
// split that does not fit is a usage error, an interruption exits 130 and
// says where the finished models are.
func compareError(err error, out string) error {
	if errors.Is(err, study.ErrValSize) {
		return usagef("%v", err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, train.ErrInterrupted) {
		return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted; models finished so far are kept in %s/models", out)}
	}
	return err
}

// runCompareOnly is 'rakam compare --only RECIPE,...'.
func runCompareOnly(ctx context.Context, e *env, cfg study.CompareConfig, only string, asJSON bool) error {
	known, err := cfg.RecipeNames()
	if err != nil {
		return err
	}
	var names []string
	for _, n := range strings.Split(only, ",") {
		n = strings.TrimSpace(n)
		if !slices.Contains(known, n) {
			return usagef("--only: %q is not a model of the study; want one of %s", n, strings.Join(known, ", "))
		}
		names = append(names, n)
	}
	rows, err := study.CompareOnly(ctx, cfg, names)
	if err != nil {
		return compareError(err, cfg.Out)
	}
	if asJSON {
		return writeJSON(e.stdout, map[string]any{"models": rows})
	}
	for _, r := range rows {
		fmt.Fprintf(e.stdout, "%-22s test accuracy %.4f  %s\n", r.Name, r.TestAccuracy, filepath.Join(cfg.Out, "models", r.Name+".safetensors"))
	}
	return nil
}
