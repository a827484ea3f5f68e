package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/study"
)

func init() {
	register(&command{name: "models", summary: "list the model zoo with parameter counts", run: runModels})
}

// zooModel is one row of 'rakam models --json'.
type zooModel struct {
	Name           string          `json:"name"`
	Description    string          `json:"description"`
	Params         int             `json:"params"`
	State          int             `json:"state"`           // BatchNorm running statistics
	FLOPs          int64           `json:"flops_per_image"` // forward pass, multiply-add = 2
	Optimizer      string          `json:"optimizer"`
	LR             float64         `json:"lr"`
	Batch          int             `json:"batch"`
	Epochs         int             `json:"epochs"`
	Regularization string          `json:"regularization"`
	SeedReported   string          `json:"seed_reported,omitempty"`
	Spec           nn.Spec         `json:"spec"`
	Layers         []nn.SummaryRow `json:"layers"`
}

func runModels(ctx context.Context, e *env, args []string) error {
	var asJSON, verbose bool
	fs := newFlags(e, "models", "[--json] [--layers]", `
Lists the model zoo: each model's name (for 'rakam train --model NAME'), its
trainable parameter count, forward FLOPs per image, and the optimizer,
learning rate, batch size and epochs 'rakam train' uses by default.`)
	fs.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	fs.BoolVar(&verbose, "layers", false, "also print each model's layers")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	var rows []zooModel
	for _, z := range study.Zoo() {
		m, err := nn.Build(z.Spec, 0)
		if err != nil {
			return fmt.Errorf("zoo model %s: %w", z.Name, err)
		}
		rows = append(rows, zooModel{Name: z.Name, Description: z.Description, Params: m.NumParams(), State: m.NumState(),
			FLOPs: m.FLOPs(), Optimizer: z.Optimizer, LR: z.LR, Batch: z.Batch, Epochs: z.Epochs,
			Regularization: z.Regularization, SeedReported: z.SeedReported, Spec: z.Spec, Layers: m.Summary()})
	}
	if asJSON {
		return writeJSON(e.stdout, map[string]any{"models": rows})
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPARAMS\tFLOPS/IMAGE\tOPTIMIZER\tLR\tBATCH\tEPOCHS\tDESCRIPTION")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%g\t%d\t%d\t%s\n", r.Name, r.Params, r.FLOPs, r.Optimizer, r.LR, r.Batch, r.Epochs, r.Description)
		if verbose {
			for _, l := range r.Layers {
				fmt.Fprintf(tw, "  %d %s\t%d\t%d\t%v\t\t\t\t\n", l.Index, l.Kind, l.Params, l.FLOPs, l.OutShape)
			}
		}
	}
	return tw.Flush()
}
