package mnist_test

import (
	"bytes"
	"fmt"

	"github.com/rakam-ml/rakam/mnist"
)

func Example() {
	// Encode two 2x2 images and read them back.
	var buf bytes.Buffer
	pix := []uint8{0, 255, 255, 0, 10, 20, 30, 40}
	if err := mnist.WriteImages(&buf, pix, 2, 2, 2); err != nil {
		panic(err)
	}
	got, n, rows, cols, err := mnist.ReadImages(&buf, "example")
	fmt.Println(n, rows, cols, got[4:], err)

	// A file whose header claims more than it holds is refused before
	// anything is allocated for it.
	bad := []byte{0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28}
	_, _, _, _, err = mnist.ReadImages(bytes.NewReader(bad), "bad.idx")
	fmt.Println(err)
	// Output:
	// 2 2 2 [10 20 30 40] <nil>
	// mnist: bad.idx: truncated: 60000 images of 28x28 need a file of 47040016 bytes but it has 16
}

func ExampleSet_Split() {
	s := &mnist.Set{Images: make([]uint8, 10*4), Labels: []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, N: 10, Rows: 2, Cols: 2}
	train, val, err := s.Split(3, 1)
	if err != nil {
		panic(err)
	}
	fmt.Println(train.N, val.N, val.Labels)
	// Output: 7 3 [2 3 4]
}
