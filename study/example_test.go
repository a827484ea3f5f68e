package study_test

import (
	"fmt"

	"github.com/rakam-ml/rakam/study"
)

// The zoo holds the seed's models and the cnn.
func ExampleZoo() {
	for _, e := range study.Zoo() {
		fmt.Printf("%-14s %-5s lr %-6g batch %-3d epochs %-2d seed reported %q\n", e.Name, e.Optimizer, e.LR, e.Batch, e.Epochs, e.SeedReported)
	}
	// Output:
	// scratch-net    sgd   lr 0.1    batch 64  epochs 10 seed reported "90+ %"
	// baseline-adam  adam  lr 0.001  batch 128 epochs 10 seed reported "97+ %"
	// baseline-sgd   sgd   lr 0.01   batch 128 epochs 10 seed reported "91 %"
	// dropout        adam  lr 0.001  batch 128 epochs 10 seed reported "97 %"
	// batchnorm      adam  lr 0.001  batch 128 epochs 10 seed reported "97+ %"
	// advanced       adam  lr 0.001  batch 128 epochs 10 seed reported "97+ %"
	// cnn            adam  lr 0.002  batch 64  epochs 3  seed reported ""
	// cnn-fast       adam  lr 0.01   batch 128 epochs 1  seed reported ""
	// cnn-real       adam  lr 0.0005 batch 64  epochs 4  seed reported ""
}

// Three members' probabilities for two images of three classes. On the
// first, each member picks a different class: hard voting breaks the tie by
// the summed probabilities (class 1: 1.15). On the second, two members lean
// weakly to class 1 and one strongly to class 0: hard voting follows the
// majority, soft voting (the averages) the confidence.
func ExampleVote() {
	probs := [][]float32{
		{0.5, 0.3, 0.2, 0.9, 0.05, 0.05},
		{0.2, 0.45, 0.35, 0.4, 0.6, 0},
		{0.1, 0.4, 0.5, 0.45, 0.55, 0},
	}
	labels := []uint8{1, 0}
	for _, method := range []string{study.Hard, study.Soft} {
		r, err := study.Vote(method, probs, labels, 3)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: predictions %v, accuracy %.2f\n", method, r.Pred, r.Summary.Accuracy)
	}
	// Output:
	// hard: predictions [1 1], accuracy 0.50
	// soft: predictions [1 0], accuracy 1.00
}

// A search space in the syntax of `rakam search --space`.
func ExampleParseSpace() {
	space, err := study.ParseSpace("lr=0.01,0.001;batch=64,128;dropout=0..0.5;optimizer=adam,sgd")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range space {
		fmt.Printf("%+v\n", d)
	}
	// Output:
	// {Key:lr Values:[0.01 0.001] Lo:0 Hi:0}
	// {Key:batch Values:[64 128] Lo:0 Hi:0}
	// {Key:dropout Values:[] Lo:0 Hi:0.5}
	// {Key:optimizer Values:[adam sgd] Lo:0 Hi:0}
}
