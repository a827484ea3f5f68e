package results_test

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/rakam-ml/rakam/metrics"
	"github.com/rakam-ml/rakam/results"
)

// The object `rakam train --json` and `rakam eval --json` print, filled
// from a confusion matrix: the field names are the contract scripts and
// reports rely on.
func ExampleModel() {
	c := metrics.NewConfusion(2)
	if err := c.AddAll([]uint8{0, 0, 1, 1}, []int{0, 1, 1, 1}); err != nil {
		fmt.Println(err)
		return
	}
	m := results.Model{Name: "tiny", Model: "tiny.safetensors", Epochs: 1, Params: 10,
		History: []results.Epoch{{Epoch: 1, TrainLoss: 0.7, TrainAccuracy: 0.5, ValLoss: 0.6, ValAccuracy: 0.75}}}
	m.SetTest(c.Summarize(), 0.5)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(m); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {
	//  "name": "tiny",
	//  "model": "tiny.safetensors",
	//  "test_accuracy": 0.75,
	//  "test_loss": 0.5,
	//  "macro_precision": 0.8333333333333333,
	//  "macro_recall": 0.75,
	//  "macro_f1": 0.7333333333333334,
	//  "weighted_f1": 0.7333333333333334,
	//  "per_class": [
	//   {
	//    "label": 0,
	//    "precision": 1,
	//    "recall": 0.5,
	//    "f1": 0.6666666666666666,
	//    "support": 2
	//   },
	//   {
	//    "label": 1,
	//    "precision": 0.6666666666666666,
	//    "recall": 1,
	//    "f1": 0.8,
	//    "support": 2
	//   }
	//  ],
	//  "confusion": [
	//   [
	//    1,
	//    1
	//   ],
	//   [
	//    0,
	//    2
	//   ]
	//  ],
	//  "epochs": 1,
	//  "seconds_per_epoch": null,
	//  "train_seconds": 0,
	//  "params": 10,
	//  "history": [
	//   {
	//    "epoch": 1,
	//    "train_loss": 0.7,
	//    "train_accuracy": 0.5,
	//    "val_loss": 0.6,
	//    "val_accuracy": 0.75
	//   }
	//  ]
	// }
}
