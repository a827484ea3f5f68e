package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/rakam-ml/rakam/internal/atomicfile"
	"github.com/rakam-ml/rakam/results"
	"github.com/rakam-ml/rakam/scratch"
	"github.com/rakam-ml/rakam/study"
)

func init() {
	register(&command{name: "scratch", summary: "train study 1: the from-scratch 784-128-10 network", run: runScratch})
}

type scratchOptions struct {
	cfg     scratch.Config
	val     int
	dataDir string
	json    bool
	out     string
}

func runScratch(ctx context.Context, e *env, args []string) error {
	opts := scratchOptions{cfg: scratch.DefaultConfig()}
	fs := newFlags(e, "scratch", "[flags]", `
Trains study 1 of the seed: a 784-128-10 network (ReLU, softmax) written from
scratch over rakam's tensor kernels, by plain mini-batch gradient descent.
After every epoch it prints train and validation loss and accuracy; at the end,
the test accuracy, macro precision, recall and F1, a per-class table and the
confusion matrix. With --json, exactly one JSON object goes to stdout and
progress to stderr.`)
	fs.IntVar(&opts.cfg.Epochs, "epochs", opts.cfg.Epochs, "passes over the training set")
	fs.IntVar(&opts.cfg.Batch, "batch", opts.cfg.Batch, "mini-batch size")
	fs.Float64Var(&opts.cfg.LR, "lr", opts.cfg.LR, "learning rate")
	fs.IntVar(&opts.cfg.Hidden, "hidden", opts.cfg.Hidden, "hidden units")
	fs.Uint64Var(&opts.cfg.Seed, "seed", opts.cfg.Seed, "random seed (weights, shuffling, validation split)")
	fs.IntVar(&opts.val, "val", 5000, "training images held out for validation")
	fs.StringVar(&opts.dataDir, "data", "", "directory with the MNIST IDX files (default: $RAKAM_DATA, then the GoMNIST module)")
	fs.BoolVar(&opts.json, "json", false, "print one JSON object on stdout")
	fs.StringVar(&opts.out, "out", "", "save the trained network as a model file (safetensors) for eval, predict, serve and export")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	switch c := opts.cfg; {
	case c.Epochs < 1:
		return usagef("--epochs must be at least 1, got %d", c.Epochs)
	case c.Batch < 1:
		return usagef("--batch must be at least 1, got %d", c.Batch)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return usagef("--lr must be a positive number, got %v", c.LR)
	case c.Hidden < 1 || c.Hidden > 65536:
		return usagef("--hidden must be from 1 to 65536, got %d", c.Hidden)
	case opts.val < 0:
		return usagef("--val must not be negative, got %d", opts.val)
	}
	if err := opts.cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	if opts.out != "" {
		if err := atomicfile.CheckTarget(opts.out); err != nil {
			return err
		}
	}
	res, err := scratchRun(ctx, opts, e.stderr)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted")}
		}
		return err
	}
	if opts.json {
		return writeJSON(e.stdout, res)
	}
	printResult(e.stdout, res)
	return nil
}

// scratchRun trains and tests study 1, writing progress to log.
func scratchRun(ctx context.Context, opts scratchOptions, log io.Writer) (*results.Model, error) {
	d, err := loadData(opts.dataDir, opts.val, opts.cfg.Seed)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "MNIST: %d train, %d validation, %d test images\n", d.Train.N, d.Val.N, d.Test.N)
	fmt.Fprintf(log, "study 1: 784-%d-10, mini-batch gradient descent, %s\n", opts.cfg.Hidden,
		flagList("epochs", opts.cfg.Epochs, "batch", opts.cfg.Batch, "lr", opts.cfg.LR, "seed", opts.cfg.Seed))
	t, err := study.TrainScratch(ctx, opts.cfg, d, func(r results.Epoch) {
		printEpoch(log, opts.cfg.Epochs, r)
	})
	if err != nil {
		return nil, err
	}
	if opts.out != "" {
		if err := study.SaveTrained(opts.out, t, d); err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "saved %s\n", opts.out)
	}
	return &t.Result, nil
}
