package data_test

import (
	"fmt"

	"github.com/rakam-ml/rakam/data"
	"github.com/rakam-ml/rakam/mnist"
)

func Example() {
	// Ten 2x2 images whose pixels are all 255 * label / 9.
	set := &mnist.Set{N: 10, Rows: 2, Cols: 2, Images: make([]uint8, 40), Labels: make([]uint8, 10)}
	for i := range set.Labels {
		set.Labels[i] = uint8(i)
		for j := 0; j < 4; j++ {
			set.Images[4*i+j] = uint8(255 * i / 9)
		}
	}
	loader, err := data.NewLoader(set, 4, data.Options{Shuffle: true, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println("batches per epoch:", loader.NumBatches())
	it := loader.Epoch(1)
	defer it.Close()
	for {
		x, y, ok := it.Next()
		if !ok {
			break
		}
		fmt.Printf("labels %v, first pixel %.3f\n", y, x[0])
	}
	// Output:
	// batches per epoch: 3
	// labels [4 2 1 0], first pixel 0.443
	// labels [8 5 6 9], first pixel 0.886
	// labels [3 7], first pixel 0.333
}

func ExampleNormalize() {
	x := make([]float32, 3)
	data.Normalize(x, []uint8{0, 51, 255})
	fmt.Println(x)
	// Output: [0 0.2 1]
}
