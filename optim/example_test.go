package optim_test

import (
	"fmt"

	"github.com/rakam-ml/rakam/optim"
)

func ExampleByName() {
	// One parameter w = 1 with gradient 0.5; SGD with momentum 0.9, lr 0.1.
	opt, err := optim.ByName("momentum", 0.1)
	if err != nil {
		panic(err)
	}
	params := []optim.Param{{Name: "w", Value: []float32{1}, Grad: []float32{0.5}}}
	for i := 0; i < 2; i++ {
		opt.Step(params)
		fmt.Printf("step %d: w = %.4f\n", i+1, params[0].Value[0])
	}
	// Output:
	// step 1: w = 0.9500
	// step 2: w = 0.8550
}

func ExampleParseSchedule() {
	spec, _ := optim.ParseSchedule("cosine:warmup=1")
	// 4 epochs of 10 batches at lr 0.1: one epoch of warm-up, then cosine.
	s, _ := spec.Build(0.1, 10, 4)
	for _, step := range []int{0, 9, 25, 40} {
		fmt.Printf("LR(%d) = %.4f\n", step, s.LR(step))
	}
	// Output:
	// LR(0) = 0.0100
	// LR(9) = 0.1000
	// LR(25) = 0.0500
	// LR(40) = 0.0000
}
