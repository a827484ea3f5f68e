package study

import (
	"context"
	"fmt"
	"time"

	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/results"
	"github.com/rakam-ml/rakam/scratch"
)

// scratchRecipe describes study 1 as a recipe, so its saved model carries
// the settings it was trained with. The network is stored as the zoo's
// "scratch-net" (Dense, ReLU, Dense), whose Dense weights are (In, Out) like
// the scratch network's, so it can also be evaluated, served and exported.
func scratchRecipe(sc scratch.Config) (Recipe, error) {
	e, err := ZooByName("scratch-net")
	if err != nil {
		return Recipe{}, err
	}
	spec := e.Spec
	spec.Layers = append([]nn.LayerSpec(nil), spec.Layers...)
	spec.Layers[0].Units = sc.Hidden
	return Recipe{Name: "scratch", Base: "scratch", Spec: spec, Epochs: sc.Epochs, Batch: sc.Batch, LR: sc.LR,
		Optimizer: "sgd", Seed: sc.Seed, Regularization: "none"}, nil
}

// TrainScratch trains study 1's from-scratch network with sc on d.Train
// (validating on d.Val after every epoch and calling progress with each
// row), scores it on d.Test, and returns it as an nn model.
func TrainScratch(ctx context.Context, sc scratch.Config, d *Data, progress func(results.Epoch)) (*Trained, error) {
	r, err := scratchRecipe(sc)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	net, hist, err := scratch.Train(ctx, sc, d.Train, d.Val, progress)
	if err != nil {
		return nil, err
	}
	wall := time.Since(start).Seconds()
	m, err := scratchToSequential(net, r.Spec)
	if err != nil {
		return nil, err
	}
	ev, err := Evaluate("scratch", m, d)
	if err != nil {
		return nil, err
	}
	res := results.Model{Name: "scratch", Model: fmt.Sprintf("784-%d-10 from scratch", sc.Hidden), Epochs: len(hist),
		Params: net.Params(), History: hist, Optimizer: fmt.Sprintf("mini-batch GD (lr %g)", sc.LR), Regularization: "none",
		Config: map[string]any{"hidden": sc.Hidden, "epochs": sc.Epochs, "batch": sc.Batch, "lr": sc.LR, "seed": sc.Seed,
			"val": d.Val.N, "wall_seconds": wall}}
	for _, h := range hist {
		res.SecondsPerEpoch = append(res.SecondsPerEpoch, h.Seconds)
		res.TrainSeconds += h.Seconds
	}
	if res.TrainSeconds > 0 {
		res.ImagesPerSecond = float64(d.Train.N*len(hist)) / res.TrainSeconds
	}
	res.SetTest(ev.Summary, ev.LogLoss)
	return &Trained{Recipe: r, Model: m, Result: res, Test: ev}, nil
}

// scratchToSequential copies a scratch network into the nn model of spec
// (Dense, ReLU, Dense with matching sizes).
func scratchToSequential(net *scratch.Network, spec nn.Spec) (*nn.Sequential, error) {
	m, err := nn.Build(spec, 0)
	if err != nil {
		return nil, err
	}
	ps := m.Params()
	src := [][]float32{net.W1, net.B1, net.W2, net.B2}
	if len(ps) != len(src) {
		return nil, fmt.Errorf("study: scratch-net has %d parameters; the scratch network 4", len(ps))
	}
	for i, p := range ps {
		if len(p.Value.Data) != len(src[i]) {
			return nil, fmt.Errorf("study: scratch-net parameter %s has %d values; the scratch network %d", p.Name, len(p.Value.Data), len(src[i]))
		}
		copy(p.Value.Data, src[i])
	}
	return m, nil
}
