package scratch_test

import (
	"fmt"

	"github.com/rakam-ml/rakam/scratch"
)

// One gradient-descent loop by hand, on four 2-pixel "images" whose class
// is the brighter pixel: Forward, Loss, Backward, Step — the calls Train
// makes for every mini-batch of MNIST.
func ExampleNetwork() {
	x := []float32{
		0.9, 0.1,
		0.2, 0.8,
		0.7, 0.3,
		0.1, 0.6,
	}
	labels := []uint8{0, 1, 0, 1}
	net := scratch.New(2, 16, 2, 1)
	net.Forward(x, 4)
	first := net.Loss(labels)
	for step := 0; step < 300; step++ {
		net.Forward(x, 4)
		net.Backward(x, labels)
		net.Step(0.5)
	}
	p := net.Forward(x, 4)
	fmt.Printf("loss fell tenfold: %v\n", net.Loss(labels) < first/10)
	for i := range labels {
		pred := 0
		if p[2*i+1] > p[2*i] {
			pred = 1
		}
		fmt.Printf("image %d: label %d, predicted %d\n", i, labels[i], pred)
	}
	// Output:
	// loss fell tenfold: true
	// image 0: label 0, predicted 0
	// image 1: label 1, predicted 1
	// image 2: label 0, predicted 0
	// image 3: label 1, predicted 1
}
