package metrics_test

import (
	"fmt"

	"github.com/rakam-ml/rakam/metrics"
)

func ExampleConfusion_Summarize() {
	c := metrics.NewConfusion(3)
	truth := []uint8{0, 0, 1, 1, 2, 2}
	pred := []int{0, 1, 1, 1, 2, 0}
	if err := c.AddAll(truth, pred); err != nil {
		fmt.Println(err)
		return
	}
	s := c.Summarize()
	fmt.Printf("accuracy %.3f, macro F1 %.3f\n", s.Accuracy, s.MacroF1)
	for _, pc := range s.PerClass {
		fmt.Printf("class %d: precision %.2f recall %.2f support %d\n", pc.Label, pc.Precision, pc.Recall, pc.Support)
	}
	// Output:
	// accuracy 0.667, macro F1 0.656
	// class 0: precision 0.50 recall 0.50 support 2
	// class 1: precision 0.67 recall 1.00 support 2
	// class 2: precision 1.00 recall 0.50 support 2
}
