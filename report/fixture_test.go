package report

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/rakam-ml/rakam/metrics"
	"github.com/rakam-ml/rakam/results"
)

// spec describes one synthetic model: where its curves start and end.
type spec struct {
	name, model, opt, reg string
	params                int
	epochs                int
	testAcc               float64
	startVal, endVal      float64 // validation accuracy after epoch 1 and at the end
	trainEnd              float64 // final training accuracy
	overfitFrom           int     // epoch after which validation loss rises (0: never)
	seconds               float64
}

var fixtureSpecs = []spec{
	{"scratch", "mlp 784-128-10 (from scratch)", "minibatch-gd", "", 101770, 10, 0.9712, 0.930, 0.970, 0.979, 0, 21},
	{"baseline-adam", "mlp 784-128-10", "adam", "", 101770, 10, 0.9778, 0.955, 0.977, 0.995, 6, 24},
	{"baseline-sgd", "mlp 784-128-10", "sgd", "", 101770, 10, 0.9180, 0.860, 0.917, 0.920, 0, 22},
	{"dropout", "mlp 784-128-10", "adam", "dropout 0.2", 101770, 10, 0.9791, 0.952, 0.979, 0.983, 0, 26},
	{"batchnorm", "mlp 784-128-10", "adam", "batch norm", 102026, 10, 0.9785, 0.960, 0.978, 0.993, 7, 29},
	{"advanced", "mlp 784-128-64-10", "adam", "batch norm + dropout 0.2", 109770, 10, 0.9805, 0.958, 0.980, 0.986, 0, 34},
	{"cnn", "cnn 32c3-64c3-128-10", "adam", "dropout 0.25", 225034, 8, 0.9921, 0.982, 0.992, 0.997, 0, 310},
	{"cnn-augment", "cnn 32c3-64c3-128-10", "adam", "dropout 0.25, augmentation", 225034, 8, 0.9952, 0.978, 0.995, 0.991, 0, 342},
	{"cnn-cosine", "cnn 32c3-64c3-128-10", "adam", "dropout 0.25, cosine LR", 225034, 8, 0.9934, 0.981, 0.993, 0.998, 0, 305},
	{"early-stop", "mlp 784-128-10", "adam", "early stopping", 101770, 7, 0.9781, 0.955, 0.978, 0.990, 4, 17},
}

// confusionFor makes a 10x10 confusion matrix of 10 000 test images with
// exactly round(10000*(1-acc)) errors, spread deterministically.
func confusionFor(acc float64, seed uint64) [][]int {
	rng := rand.New(rand.NewPCG(seed, 7))
	support := []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009} // MNIST's test set
	m := make([][]int, 10)
	for t := range m {
		m[t] = make([]int, 10)
		m[t][t] = support[t]
	}
	errs := int(math.Round(10000 * (1 - acc)))
	// Confusions MNIST models typically make, weighted towards these pairs.
	pairs := [][2]int{{4, 9}, {9, 4}, {7, 2}, {3, 5}, {5, 3}, {8, 3}, {2, 7}, {9, 7}, {6, 0}, {1, 7}}
	for i := 0; i < errs; i++ {
		var t, p int
		if rng.IntN(3) > 0 {
			pr := pairs[rng.IntN(len(pairs))]
			t, p = pr[0], pr[1]
		} else {
			t, p = rng.IntN(10), rng.IntN(9)
			if p >= t {
				p++
			}
		}
		if m[t][t] == 0 {
			continue
		}
		m[t][t]--
		m[t][p]++
	}
	return m
}

func makeRow(s spec, seed uint64) results.Model {
	c := metrics.NewConfusion(10)
	m := confusionFor(s.testAcc, seed)
	for t := range m {
		for p := range m[t] {
			c.Counts[t*10+p] = m[t][p]
		}
	}
	sum := c.Summarize()
	r := results.Model{Name: s.name, Model: s.model, Optimizer: s.opt, Regularization: s.reg, Params: s.params,
		Epochs: s.epochs, TrainSeconds: s.seconds, ImagesPerSecond: 50000 * float64(s.epochs) / s.seconds}
	r.SetTest(sum, 3*(1-sum.Accuracy)+0.005)
	for e := 1; e <= s.epochs; e++ {
		f := float64(e-1) / float64(max(s.epochs-1, 1))
		ease := 1 - math.Pow(1-f, 2.5) // fast early progress, then a plateau
		val := s.startVal + (s.endVal-s.startVal)*ease
		train := s.startVal - 0.01 + (s.trainEnd-s.startVal+0.01)*ease
		vloss := -math.Log(val) * 3
		if s.overfitFrom > 0 && e > s.overfitFrom {
			vloss = -math.Log(s.startVal+(s.endVal-s.startVal)*(1-math.Pow(1-float64(s.overfitFrom-1)/float64(s.epochs-1), 2.5)))*3 + 0.015*float64(e-s.overfitFrom)
		}
		lr := 0.001
		if s.opt == "sgd" || s.opt == "minibatch-gd" {
			lr = 0.1
		}
		if s.name == "cnn-cosine" {
			lr = 0.001 * 0.5 * (1 + math.Cos(math.Pi*float64(e-1)/float64(s.epochs)))
		}
		r.History = append(r.History, results.Epoch{Epoch: e, TrainLoss: -math.Log(train) * 2.6, TrainAccuracy: train,
			ValLoss: vloss, ValAccuracy: val, LR: lr, Seconds: s.seconds / float64(s.epochs)})
		r.SecondsPerEpoch = append(r.SecondsPerEpoch, s.seconds/float64(s.epochs))
	}
	return r
}

// digit draws a rough synthetic digit: a ring for even labels, a stroke
// for odd ones, shifted by k, so the mistakes chart has ink to draw.
func digit(label, k int) []uint8 {
	px := make([]uint8, ImagePixels)
	for y := 0; y < 28; y++ {
		for x := 0; x < 28; x++ {
			var d float64
			if label%2 == 0 {
				d = math.Abs(math.Hypot(float64(x)-14, float64(y)-14) - 7 - float64(k%3))
			} else {
				d = math.Abs(float64(x) - 14 - 0.3*float64(y-14) - float64(k%4-2))
				if y < 4 || y > 23 {
					d = 99
				}
			}
			if v := 255 * (1 - d/2); v > 0 {
				px[y*28+x] = uint8(v)
			}
		}
	}
	return px
}

// fixture returns a realistic Input: ten models with histories, mistakes,
// a search, a schedule, early stopping and four ensembles.
func fixture() *Input {
	in := &Input{
		Title:   "rakam: MNIST study",
		Date:    time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC),
		Machine: "AMD EPYC (AVX2+FMA), 2 cores, linux/amd64",
		Command: "rakam compare --out runs/x",
		Seed:    1,
	}
	for i, s := range fixtureSpecs {
		in.Rows = append(in.Rows, makeRow(s, uint64(i+1)))
	}
	in.Best = "cnn-augment"
	for i := 0; i < 16; i++ {
		t := (i * 7) % 10
		p := (t + 1 + i%3) % 10
		in.Mistakes = append(in.Mistakes, Mistake{Index: 100 + 37*i, Pixels: digit(t, i), True: t, Pred: p, Confidence: 0.999 - 0.02*float64(i), Model: "cnn-augment"})
	}
	in.Search = &Search{Method: "grid", Base: "baseline-adam", WinnerTestAccuracy: 0.9801}
	for _, lr := range []float64{0.0003, 0.001, 0.01, 0.1} {
		for _, batch := range []int{32, 128} {
			for _, opt := range []string{"adam", "sgd"} {
				acc := 0.975 - 40*math.Pow(math.Log10(lr)+2.7, 2)/1000 - 0.001*float64(batch/128)
				if opt == "sgd" {
					acc -= 0.01 + 0.05*math.Max(0, -math.Log10(lr)-1.5)/2
				}
				in.Search.Trials = append(in.Search.Trials, SearchTrial{
					Params:      map[string]any{"lr": lr, "batch": batch, "optimizer": opt, "hidden": 128},
					ValAccuracy: math.Max(0.5, acc), Seconds: 20 + 3000/float64(batch),
				})
			}
		}
	}
	steps := 8 * 390
	sch := &ScheduleRun{Kind: "cosine", Scheduled: "cnn-cosine", Constant: "cnn", StepsPerEpoch: 390}
	for i := 0; i < steps; i++ {
		sch.LR = append(sch.LR, 0.001*0.5*(1+math.Cos(math.Pi*float64(i)/float64(steps))))
	}
	in.Schedule = sch
	in.EarlyStopping = &EarlyStop{Model: "early-stop", Monitor: "val_loss", Patience: 3, MaxEpochs: 20, StoppedEpoch: 7, BestEpoch: 4,
		BestValue: in.Rows[9].History[3].ValLoss, Restored: true}
	in.Ensembles = []Ensemble{
		{Name: "cnns-soft", Method: "soft", Members: []string{"cnn", "cnn-augment", "cnn-cosine"}, Accuracy: 0.9961},
		{Name: "cnns-hard", Method: "hard", Members: []string{"cnn", "cnn-augment", "cnn-cosine"}, Accuracy: 0.9955},
		{Name: "all-soft", Method: "soft", Members: names(in.Rows), Accuracy: 0.9949},
		{Name: "all-hard", Method: "hard", Members: names(in.Rows), Accuracy: 0.9902},
	}
	in.Roles = fixtureRoles
	in.SeedReported = map[string]string{"scratch": "90+ %", "baseline-adam": "97+ %", "baseline-sgd": "91 %", "dropout": "97 %",
		"batchnorm": "97+ %", "advanced": "97+ %"}
	return in
}

// fixtureRoles are the parts the fixture's rows play, as a study would
// name them: the report itself knows no row by name.
var fixtureRoles = Roles{Scratch: "scratch", BaselineAdam: "baseline-adam", BaselineSGD: "baseline-sgd", Dropout: "dropout",
	BatchNorm: "batchnorm", Advanced: "advanced", CNN: "cnn", CNNAugmented: "cnn-augment"}

func names(rows []results.Model) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Name)
	}
	return out
}

// rowOf returns a pointer to the named row of in, or panics: tests only.
func rowOf(in *Input, name string) *results.Model {
	for i := range in.Rows {
		if in.Rows[i].Name == name {
			return &in.Rows[i]
		}
	}
	panic(fmt.Sprintf("no row %q", name))
}
