package study

import (
	"math"
	"testing"
)

// Three members, three images, three classes, worked by hand.
//
//	image 0 (label 0): members predict 0, 0, 1            -> hard 0, soft 0
//	image 1 (label 1): members predict 2, 1, 0 (a tie)    -> hard: highest summed probability, 1
//	image 2 (label 2): one very confident member says 2,
//	                   two lukewarm ones say 1            -> hard 1, soft 2
func TestVoteHandComputed(t *testing.T) {
	probs := [][]float32{
		{0.6, 0.3, 0.1, 0.2, 0.3, 0.5, 0.0, 0.0, 1.0},
		{0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.3, 0.4, 0.3},
		{0.3, 0.6, 0.1, 0.4, 0.3, 0.3, 0.3, 0.4, 0.3},
	}
	labels := []uint8{0, 1, 2}
	hard, err := Vote(Hard, probs, labels, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 1}; !equalInts(hard.Pred, want) {
		t.Errorf("hard vote = %v; want %v", hard.Pred, want)
	}
	if math.Abs(hard.Summary.Accuracy-2.0/3) > 1e-12 || hard.LogLoss != 0 {
		t.Errorf("hard accuracy %v, log loss %v; want 2/3 and 0", hard.Summary.Accuracy, hard.LogLoss)
	}
	soft, err := Vote(Soft, probs, labels, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 2}; !equalInts(soft.Pred, want) {
		t.Errorf("soft vote = %v; want %v", soft.Pred, want)
	}
	// mean p(true): image0 (0.6+0.7+0.3)/3, image1 (0.3+0.8+0.3)/3, image2 (1+0.3+0.3)/3
	want := -(math.Log(1.6/3) + math.Log(1.4/3) + math.Log(1.6/3)) / 3
	if math.Abs(soft.LogLoss-want) > 1e-6 {
		t.Errorf("soft log loss = %v; want %v", soft.LogLoss, want)
	}
}

func TestVoteErrors(t *testing.T) {
	if _, err := Vote(Soft, nil, []uint8{0}, 2); err == nil {
		t.Error("Vote with no members = nil error")
	}
	if _, err := Vote(Soft, [][]float32{{1, 0, 0}}, []uint8{0}, 2); err == nil {
		t.Error("Vote with a mis-sized member = nil error")
	}
	if _, err := Vote("median", [][]float32{{1, 0}}, []uint8{0}, 2); err == nil {
		t.Error("Vote with an unknown method = nil error")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
