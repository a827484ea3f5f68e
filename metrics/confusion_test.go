package metrics

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// A 3-class case worked by hand:
//
//	true:      0 0 0 1 1 2 2 2 2 2
//	predicted: 0 0 1 1 2 2 2 2 0 1
//
// confusion (rows true): [2 1 0] [0 1 1] [1 1 3]
// class 0: tp=2, predicted 3, actual 3 -> P=2/3 R=2/3 F1=2/3
// class 1: tp=1, predicted 3, actual 2 -> P=1/3 R=1/2 F1=0.4
// class 2: tp=3, predicted 4, actual 5 -> P=3/4 R=3/5 F1=2/3
func TestSummarizeHandComputed(t *testing.T) {
	c := NewConfusion(3)
	truth := []uint8{0, 0, 0, 1, 1, 2, 2, 2, 2, 2}
	pred := []int{0, 0, 1, 1, 2, 2, 2, 2, 0, 1}
	if err := c.AddAll(truth, pred); err != nil {
		t.Fatal(err)
	}
	s := c.Summarize()
	want := [][]int{{2, 1, 0}, {0, 1, 1}, {1, 1, 3}}
	for i := range want {
		for j := range want[i] {
			if s.Confusion[i][j] != want[i][j] {
				t.Fatalf("Confusion = %v; want %v", s.Confusion, want)
			}
		}
	}
	if !near(s.Accuracy, 0.6) {
		t.Errorf("Accuracy = %v; want 0.6", s.Accuracy)
	}
	wantPC := []ClassScore{
		{0, 2.0 / 3, 2.0 / 3, 2.0 / 3, 3},
		{1, 1.0 / 3, 0.5, 0.4, 2},
		{2, 0.75, 0.6, 2.0 / 3, 5},
	}
	for i, w := range wantPC {
		g := s.PerClass[i]
		if g.Label != w.Label || g.Support != w.Support || !near(g.Precision, w.Precision) || !near(g.Recall, w.Recall) || !near(g.F1, w.F1) {
			t.Errorf("PerClass[%d] = %+v; want %+v", i, g, w)
		}
	}
	if w := (2.0/3 + 1.0/3 + 0.75) / 3; !near(s.MacroPrecision, w) {
		t.Errorf("MacroPrecision = %v; want %v", s.MacroPrecision, w)
	}
	if w := (2.0/3 + 0.5 + 0.6) / 3; !near(s.MacroRecall, w) {
		t.Errorf("MacroRecall = %v; want %v", s.MacroRecall, w)
	}
	if w := (2.0/3 + 0.4 + 2.0/3) / 3; !near(s.MacroF1, w) {
		t.Errorf("MacroF1 = %v; want %v", s.MacroF1, w)
	}
	if w := (3*2.0/3 + 2*0.4 + 5*2.0/3) / 10; !near(s.WeightedF1, w) {
		t.Errorf("WeightedF1 = %v; want %v", s.WeightedF1, w)
	}
	// Weighted recall always equals accuracy.
	if !near(s.WeightedRecall, s.Accuracy) {
		t.Errorf("WeightedRecall = %v; want accuracy %v", s.WeightedRecall, s.Accuracy)
	}
}

// A class that is never predicted and one that never occurs score 0, as
// scikit-learn's zero_division="warn" default returns.
func TestZeroDivisionIsZero(t *testing.T) {
	c := NewConfusion(3)
	// class 1 never predicted; class 2 never present.
	for _, p := range [][2]int{{0, 0}, {1, 0}, {1, 2}} {
		if err := c.Add(p[0], p[1]); err != nil {
			t.Fatal(err)
		}
	}
	pc := c.PerClass()
	if pc[1].Precision != 0 || pc[1].Recall != 0 || pc[1].F1 != 0 {
		t.Errorf("never-predicted class = %+v; want zeros", pc[1])
	}
	if pc[2].Recall != 0 || pc[2].Precision != 0 || pc[2].Support != 0 {
		t.Errorf("absent class = %+v; want zeros", pc[2])
	}
	if !near(pc[0].Precision, 0.5) || !near(pc[0].Recall, 1) {
		t.Errorf("class 0 = %+v; want P=0.5 R=1", pc[0])
	}
	empty := NewConfusion(2).Summarize()
	if empty.Accuracy != 0 || empty.MacroF1 != 0 || empty.WeightedF1 != 0 {
		t.Errorf("empty Summarize = %+v; want zeros", empty)
	}
}

func TestAddRejectsOutOfRange(t *testing.T) {
	c := NewConfusion(10)
	for _, p := range [][2]int{{10, 0}, {0, 10}, {-1, 0}} {
		if err := c.Add(p[0], p[1]); err == nil {
			t.Errorf("Add(%d, %d) = nil; want an error", p[0], p[1])
		}
	}
	if err := c.AddAll([]uint8{1, 2}, []int{1}); err == nil {
		t.Error("AddAll with 2 labels and 1 prediction = nil; want an error")
	}
}

func TestLogLoss(t *testing.T) {
	// rows: p(true)=0.5 and 0.25 -> (ln 2 + ln 4)/2
	probs := []float32{0.5, 0.5, 0.75, 0.25}
	got, err := LogLoss(probs, []uint8{0, 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := (math.Log(2) + math.Log(4)) / 2; math.Abs(got-want) > 1e-7 {
		t.Errorf("LogLoss = %v; want %v", got, want)
	}
	// A zero probability is clipped, not infinite.
	got, err = LogLoss([]float32{1, 0}, []uint8{1}, 2)
	if err != nil || math.IsInf(got, 0) || math.Abs(got-(-math.Log(1e-15))) > 1e-9 {
		t.Errorf("LogLoss of p=0 = %v, %v; want %v", got, err, -math.Log(1e-15))
	}
	if _, err := LogLoss([]float32{0.5}, []uint8{0}, 2); err == nil {
		t.Error("LogLoss with a short probability slice = nil error")
	}
	if _, err := LogLoss([]float32{0.5, 0.5}, []uint8{2}, 2); err == nil {
		t.Error("LogLoss with label 2 of 2 classes = nil error")
	}
}
