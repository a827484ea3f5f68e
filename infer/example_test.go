package infer_test

import (
	"fmt"
	"log"
	"os"

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
	png, _ := os.ReadFile("../testdata/digits/3_hand_grey-paper.png")
	p, err := model.PredictBytes(png)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Label)
	// Output: 3
}
