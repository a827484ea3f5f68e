package train_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/rakam-ml/rakam/data"
	"github.com/rakam-ml/rakam/mnist"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/optim"
	"github.com/rakam-ml/rakam/train"
)

// blocks makes n 28x28 images whose label is where a bright block sits.
func blocks(n int, seed uint64) *mnist.Set {
	r := rand.New(rand.NewPCG(seed, 0))
	s := &mnist.Set{N: n, Rows: 28, Cols: 28, Images: make([]uint8, n*784), Labels: make([]uint8, n)}
	for i := range n {
		k := r.IntN(10)
		s.Labels[i] = uint8(k)
		for y := 4 + (k/5)*12; y < 10+(k/5)*12; y++ {
			for x := 2 + (k%5)*5; x < 6+(k%5)*5; x++ {
				s.Images[i*784+y*28+x] = 255
			}
		}
	}
	return s
}

func ExampleFit() {
	spec := nn.Spec{Input: []int{784}, Layers: []nn.LayerSpec{
		{Kind: "Dense", Units: 32}, {Kind: "ReLU"}, {Kind: "Dense", Units: 10},
	}}
	model, _ := nn.Build(spec, 1)
	loader, _ := data.NewLoader(blocks(500, 1), 50, data.Options{Shuffle: true, Seed: 1})
	opt, _ := optim.ByName("adam", 0.01)
	hist, err := train.Fit(context.Background(), model, loader, blocks(100, 2), train.Config{
		Epochs:    3,
		Optimizer: opt,
		Callbacks: []train.Callback{&train.EarlyStopping{Monitor: "val_accuracy", Patience: 1}},
	})
	if err != nil {
		panic(err)
	}
	last := hist.Epochs[len(hist.Epochs)-1]
	fmt.Printf("%d epochs, %d steps, validation accuracy %.2f\n", len(hist.Epochs), hist.Steps, last.ValAccuracy)
	res, _ := train.Evaluate(model, blocks(100, 3), 100)
	fmt.Printf("test accuracy %.2f\n", res.Summary.Accuracy)
	// Output:
	// 2 epochs, 20 steps, validation accuracy 1.00
	// test accuracy 1.00
}
