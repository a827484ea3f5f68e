package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/rakam-ml/rakam/internal/atomicfile"
	"github.com/rakam-ml/rakam/study"
	"github.com/rakam-ml/rakam/train"
)

func init() {
	register(&command{name: "search", summary: "hyperparameter search (grid or random) scored on the validation split", run: runSearch})
}

func runSearch(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "merge" {
		return runSearchMerge(ctx, e, args[1:])
	}
	var (
		cfg               study.SearchConfig
		base, space, data string
		val, trial        int
		asJSON, quiet     bool
		shard, dir, out   string
	)
	fs := newFlags(e, "search", "[flags]  |  merge [flags] DIR", `
Searches learning rate, batch size, hidden units, dropout rate and optimiser
for a multilayer perceptron 784-hidden-[dropout]-10 that starts from a zoo
model's settings. Every trial is scored on the validation split only; the
test set is touched once, for the winner. Trials run in parallel, one per
core, and the same seed gives the same table whatever the number of workers.

The space is "key=v1,v2,...;key=lo..hi;..." with keys lr, batch, hidden,
dropout and optimizer; ranges (lo..hi) are for --method random and are
sampled log-uniformly for lr. Default:
  `+study.DefaultSpace+`

Spread over processes (pods of a Kubernetes Indexed Job, say): each runs
'rakam search --trial-dir DIR --trial I' (trial I, 1 to the number of trials)
or '--shard I/N' (trials I+1, I+1+N, ...; I from 0), with the same search
flags, and writes each trial's result (trial-NNNN.json) and model into DIR;
with --trial-dir and neither flag, JOB_COMPLETION_INDEX=K runs trial K+1.
'rakam search merge DIR' then prints the same table and winner as one
process would (apart from the seconds). See docs/training.md.`)
	fs.StringVar(&cfg.Method, "method", "random", "grid or random")
	fs.IntVar(&cfg.Trials, "trials", 12, "random: trials to run; grid: at most this many points (0: the whole grid)")
	fs.StringVar(&base, "model", "baseline-adam", "zoo model whose optimiser, learning rate, batch size and epochs are the defaults")
	fs.StringVar(&space, "space", study.DefaultSpace, "the search space")
	fs.IntVar(&cfg.Epochs, "epochs", 3, "epochs per trial (0: the base model's)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed (trials, weights, shuffling, validation split)")
	fs.IntVar(&cfg.Workers, "workers", 0, "trials trained at once (0: one per core)")
	fs.IntVar(&val, "val", 5000, "training images held out for validation")
	fs.StringVar(&data, "data", "", "directory with the MNIST IDX files (default: $RAKAM_DATA, then the GoMNIST module)")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	fs.BoolVar(&quiet, "quiet", false, "no progress output")
	fs.IntVar(&trial, "trial", 0, "run only trial `I` (1-based) and write its result into --trial-dir")
	fs.StringVar(&shard, "shard", "", "run only the trials of shard `I/N` (I from 0 to N-1) and write them into --trial-dir")
	fs.StringVar(&dir, "trial-dir", "", "`folder` for the result files of --trial or --shard (shared by every process)")
	fs.StringVar(&out, "out", "", "save the winner as a model `file` (safetensors)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if cfg.Method != "grid" && cfg.Method != "random" {
		return usagef("--method must be grid or random, not %q", cfg.Method)
	}
	if cfg.Trials < 0 || cfg.Epochs < 0 || cfg.Workers < 0 {
		return usagef("--trials, --epochs and --workers must not be negative")
	}
	if cfg.Trials > study.MaxTrials {
		return usagef("--trials must be at most %d, got %d", study.MaxTrials, cfg.Trials)
	}
	var err error
	if cfg.Base, err = study.ZooByName(base); err != nil {
		return usagef("--model: %v", err)
	}
	if cfg.Space, err = study.ParseSpace(space); err != nil {
		return usagef("--space: %v", err)
	}
	sel, err := trialsToRun(fs, trial, shard, dir)
	if err != nil {
		return err
	}
	if sel != nil && out != "" {
		return usagef("--out saves the winner: give it to 'rakam search merge', not to one trial's run")
	}
	if out != "" {
		if err := atomicfile.CheckTarget(out); err != nil {
			return fmt.Errorf("--out %s: %w", out, err)
		}
	}
	d, err := loadData(data, val, cfg.Seed)
	if err != nil {
		return err
	}
	if sel != nil {
		return runSearchTrials(ctx, e, cfg, val, d, sel, dir, quiet, asJSON)
	}
	if !quiet {
		cfg.OnTrial = func(done, total int, t study.Trial) {
			if t.Err != "" {
				fmt.Fprintf(e.stderr, "trial %d/%d %s: failed: %s\n", done, total, study.FormatParams(t.Params), t.Err)
				return
			}
			fmt.Fprintf(e.stderr, "trial %d/%d %s: val accuracy %.4f (%.1fs)\n", done, total, study.FormatParams(t.Params), t.ValAccuracy, t.Seconds)
		}
	}
	res, err := study.Search(ctx, cfg, d)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, train.ErrInterrupted) {
			return &exitError{code: exitInterrupted, err: errors.New("interrupted")}
		}
		return err
	}
	return printSearch(e, res, d, out, asJSON)
}

// printSearch prints a finished search (table or JSON) and saves the
// winner to out when out is set.
func printSearch(e *env, res *study.SearchResult, d *study.Data, out string, asJSON bool) error {
	if out != "" {
		if err := study.SaveTrained(out, res.Winner, d); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "saved the winner to %s\n", out)
	}
	if asJSON {
		return writeJSON(e.stdout, map[string]any{"method": res.Method, "trials": res.Trials, "winner": res.Winner.Result})
	}
	fmt.Fprintf(e.stdout, "%-5s %-44s %8s %8s %7s\n", "rank", "params", "val acc", "val loss", "seconds")
	for i, t := range res.Trials {
		if t.Err != "" {
			fmt.Fprintf(e.stdout, "%-5d %-44s failed: %s\n", i+1, study.FormatParams(t.Params), t.Err)
			continue
		}
		fmt.Fprintf(e.stdout, "%-5d %-44s %8.4f %8.4f %7.1f\n", i+1, study.FormatParams(t.Params), t.ValAccuracy, t.ValLoss, t.Seconds)
	}
	w := res.Winner.Result
	fmt.Fprintf(e.stdout, "\nwinner %s: test accuracy %.4f (the only trial scored on the test set), macro F1 %.4f\n",
		study.FormatParams(res.Trials[0].Params), w.TestAccuracy, w.MacroF1)
	return nil
}
