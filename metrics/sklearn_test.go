package metrics

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// sklearnScript prints scikit-learn's scores for the labels it reads as JSON
// on stdin, with its defaults (zero_division -> 0).
const sklearnScript = `
import json, sys, warnings
warnings.filterwarnings("ignore")
from sklearn.metrics import accuracy_score, precision_recall_fscore_support, log_loss
d = json.load(sys.stdin)
t, p, k = d["truth"], d["pred"], d["k"]
labels = list(range(k))
out = {"accuracy": accuracy_score(t, p)}
for avg in ("macro", "weighted"):
    pr, rc, f1, _ = precision_recall_fscore_support(t, p, labels=labels, average=avg, zero_division=0)
    out[avg] = [pr, rc, f1]
pr, rc, f1, sup = precision_recall_fscore_support(t, p, labels=labels, average=None, zero_division=0)
out["per_class"] = [list(map(float, pr)), list(map(float, rc)), list(map(float, f1)), list(map(int, sup))]
out["log_loss"] = log_loss(t, d["probs"], labels=labels, eps=1e-15)
json.dump(out, sys.stdout)
`

// TestAgreesWithScikitLearn compares every score with scikit-learn's on
// random predictions in which some classes are never predicted. It skips
// when Debian's python3-sklearn is not installed.
func TestAgreesWithScikitLearn(t *testing.T) {
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("skipping: /usr/bin/python3 not found (apt-get install python3-sklearn)")
	}
	if err := exec.Command(py, "-c", "import sklearn").Run(); err != nil {
		t.Skip("skipping: scikit-learn not installed (apt-get install python3-sklearn)")
	}
	const k, n = 10, 500
	rng := rand.New(rand.NewPCG(11, 12))
	truth := make([]uint8, n)
	pred := make([]int, n)
	probs := make([]float32, n*k)
	for i := range truth {
		truth[i] = uint8(rng.IntN(k))
		switch {
		case rng.Float64() < 0.7:
			pred[i] = int(truth[i])
		default:
			pred[i] = rng.IntN(k - 2) // classes 8 and 9 are only predicted when right
		}
		var sum float32
		for j := 0; j < k; j++ {
			probs[i*k+j] = rng.Float32()
			sum += probs[i*k+j]
		}
		for j := 0; j < k; j++ {
			probs[i*k+j] /= sum
		}
	}
	// sklearn's log_loss renormalises rows; ours expects rows that sum to 1,
	// which they do up to float32 rounding.
	in := map[string]any{"truth": truth, "pred": pred, "k": k, "probs": toRows(probs, k)}
	tt := make([]int, n)
	for i, v := range truth {
		tt[i] = int(v)
	}
	in["truth"] = tt
	body, _ := json.Marshal(in)
	cmd := exec.Command(py, "-c", sklearnScript)
	cmd.Stdin = strings.NewReader(string(body))
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("scikit-learn script failed: %v", err)
	}
	var want struct {
		Accuracy float64
		Macro    []float64
		Weighted []float64
		PerClass [][]float64 `json:"per_class"`
		LogLoss  float64     `json:"log_loss"`
	}
	if err := json.Unmarshal(outb, &want); err != nil {
		t.Fatalf("decoding scikit-learn output %q: %v", outb, err)
	}
	c := NewConfusion(k)
	if err := c.AddAll(truth, pred); err != nil {
		t.Fatal(err)
	}
	s := c.Summarize()
	check := func(name string, got, w float64) {
		t.Helper()
		if math.Abs(got-w) > 1e-12 {
			t.Errorf("%s = %.15f; scikit-learn says %.15f", name, got, w)
		}
	}
	check("accuracy", s.Accuracy, want.Accuracy)
	check("macro precision", s.MacroPrecision, want.Macro[0])
	check("macro recall", s.MacroRecall, want.Macro[1])
	check("macro F1", s.MacroF1, want.Macro[2])
	check("weighted precision", s.WeightedPrecision, want.Weighted[0])
	check("weighted recall", s.WeightedRecall, want.Weighted[1])
	check("weighted F1", s.WeightedF1, want.Weighted[2])
	for j, pc := range s.PerClass {
		check("precision", pc.Precision, want.PerClass[0][j])
		check("recall", pc.Recall, want.PerClass[1][j])
		check("F1", pc.F1, want.PerClass[2][j])
		check("support", float64(pc.Support), want.PerClass[3][j])
	}
	ll, err := LogLoss(probs, truth, k)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(ll-want.LogLoss) > 1e-6 {
		t.Errorf("log loss = %v; scikit-learn says %v", ll, want.LogLoss)
	}
}

func toRows(p []float32, k int) [][]float64 {
	rows := make([][]float64, len(p)/k)
	for i := range rows {
		rows[i] = make([]float64, k)
		for j := range rows[i] {
			rows[i][j] = float64(p[i*k+j])
		}
	}
	return rows
}
