package report_test

import (
	"fmt"
	"log"
	"os"

	"github.com/rakam-ml/rakam/report"
	"github.com/rakam-ml/rakam/results"
)

func ExampleTable() {
	in := &report.Input{
		Rows: []results.Model{
			{Name: "baseline-adam", TestAccuracy: 0.9781, MacroPrecision: 0.978, MacroRecall: 0.9779, MacroF1: 0.9779, TestLoss: 0.0712,
				Optimizer: "adam", Params: 101770, Epochs: 10, TrainSeconds: 24.2, ImagesPerSecond: 20661},
			{Name: "baseline-sgd", TestAccuracy: 0.9180, MacroPrecision: 0.9199, MacroRecall: 0.9181, MacroF1: 0.9185, TestLoss: 0.2891,
				Optimizer: "sgd", Params: 101770, Epochs: 10, TrainSeconds: 22.0, ImagesPerSecond: 22727},
		},
		// The report knows no row by name: the caller says which row plays
		// which part, and what the seed study reported for each.
		Roles:        report.Roles{BaselineAdam: "baseline-adam", BaselineSGD: "baseline-sgd"},
		SeedReported: map[string]string{"baseline-adam": "97+ %", "baseline-sgd": "91 %"},
	}
	if err := report.Table(os.Stdout, in); err != nil {
		log.Fatal(err)
	}
	findings, err := report.Analyze(in)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range findings {
		if f.Topic == report.TopicOptimiser {
			fmt.Println(f.Text)
		}
	}
	// Output:
	// model          test acc  precision  recall      F1  test loss  optimiser  regularisation   params  epochs  train s  images/s  seed reported
	// baseline-adam   97.81 %     0.9780  0.9779  0.9779     0.0712  adam       none            101,770      10     24.2    20,661          97+ %
	// baseline-sgd    91.80 %     0.9199  0.9181  0.9185     0.2891  sgd        none            101,770      10     22.0    22,727           91 %
	// Adam won: baseline-adam reached 97.81 % against baseline-sgd's 91.80 % with SGD, 6.01 points ahead.
}
