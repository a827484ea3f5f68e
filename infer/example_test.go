package infer_test

import (
	"fmt"
	"log"

	"github.com/rakam-ml/rakam/infer"
)

// Load a model once, then predict the digit in a PNG file. A Model is
// safe for concurrent use: call its Predict methods from as many
// goroutines as you like.
func Example() {
	model, err := infer.Load("testdata/baseline-adam.safetensors", nil)
	if err != nil {
		log.Fatal(err)
	}
	p, err := model.PredictFile("../testdata/digits/3_hand_grey-paper.png")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Label)
	// Output: 3
}
