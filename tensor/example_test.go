package tensor_test

import (
	"fmt"

	"github.com/rakam-ml/rakam/tensor"
)

func ExampleGemm() {
	// C (2×2) = A (2×3) · Bᵀ where B is stored as 2×3.
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{1, 0, 1, 0, 1, 0}
	c := make([]float32, 4)
	tensor.Gemm(tensor.NoTrans, tensor.Trans, 2, 2, 3, 1, a, 3, b, 3, 0, c, 2)
	fmt.Println(c)
	// Output: [4 2 10 5]
}

func ExampleIm2Col() {
	// A 1×3×3 image, a 2×2 window, stride 1, no padding: 4 patches.
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	col := make([]float32, 4*4)
	tensor.Im2Col(col, 4, x, 1, 3, 3, 2, 2, 1, 0)
	for r := 0; r < 4; r++ {
		fmt.Println(col[r*4 : r*4+4])
	}
	// Output:
	// [1 2 4 5]
	// [2 3 5 6]
	// [4 5 7 8]
	// [5 6 8 9]
}
