package report

import (
	"strings"
	"testing"
)

// findingText returns the analysis text of topic for in ("" if absent).
func findingText(t *testing.T, in *Input, topic string) string {
	t.Helper()
	fs, err := Analyze(in)
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	for _, f := range fs {
		if f.Topic == topic {
			return f.Text
		}
	}
	return ""
}

// setAcc sets a row's test accuracy and rebuilds its confusion matrix to
// match, as a real evaluation would.
func setAcc(in *Input, name string, acc float64) {
	r := rowOf(in, name)
	r.TestAccuracy = acc
	r.Confusion = confusionFor(acc, 99)
}

// TestAnalysisFollowsTheNumbers flips the numbers behind each finding and
// checks that the text flips with them.
func TestAnalysisFollowsTheNumbers(t *testing.T) {
	tests := []struct {
		name     string
		topic    string
		edit     func(in *Input)
		want     []string
		dontWant []string
	}{
		{"adam wins", "optimiser", func(in *Input) {},
			[]string{"Adam won", "5.98 points ahead", "Adam also started faster"}, []string{"SGD won", "level"}},
		{"sgd wins", "optimiser", func(in *Input) {
			setAcc(in, "baseline-sgd", 0.985)
			rowOf(in, "baseline-sgd").History[0].ValAccuracy = 0.97
		}, []string{"SGD won", "baseline-sgd reached 98.50 %", "0.72 points ahead", "SGD started faster"}, []string{"Adam won"}},
		{"optimisers level", "optimiser", func(in *Input) { setAcc(in, "baseline-sgd", 0.9775) },
			[]string{"ended level", "Adam was ahead by 0.03 points", "noise of 10,000 test images"}, []string{"won"}},
		{"sgd ahead within noise", "optimiser", func(in *Input) { setAcc(in, "baseline-sgd", 0.9781) },
			[]string{"ended level", "SGD was ahead by 0.03 points"}, []string{"won"}},

		{"regularisation within noise", "regularisation", func(in *Input) {},
			[]string{"Dropout (dropout) made no measurable difference", "so it reduced overfitting"}, []string{"helped", "hurt"}},
		{"dropout helped", "regularisation", func(in *Input) { setAcc(in, "dropout", 0.9850) },
			[]string{"Dropout (dropout) helped: 98.50 %", "0.72 points better"}, nil},
		{"dropout hurt", "regularisation", func(in *Input) { setAcc(in, "dropout", 0.9650) },
			[]string{"Dropout (dropout) hurt: 96.50 %", "1.28 points worse"}, nil},
		{"dropout widened the gap", "regularisation", func(in *Input) {
			h := rowOf(in, "dropout").History
			h[len(h)-1].TrainAccuracy = 1.0
		}, []string{"+2.10 points against the baseline's +1.80, so it did not reduce overfitting"}, nil},

		{"neither overfitted", "regularisation", func(in *Input) {
			for _, n := range []string{"baseline-adam", "dropout"} {
				h := rowOf(in, n).History
				h[len(h)-1].TrainAccuracy = h[len(h)-1].ValAccuracy - 0.005
			}
		}, []string{"Dropout (dropout) made no measurable difference", "-0.50 points against the baseline's -0.50: neither overfitted by this measure"}, []string{"reduced overfitting"}},
		{"overfitted where the baseline did not", "regularisation", func(in *Input) {
			h := rowOf(in, "baseline-adam").History
			h[len(h)-1].TrainAccuracy = h[len(h)-1].ValAccuracy - 0.005
		}, []string{"+0.40 points against the baseline's -0.50: it overfitted where the baseline did not."}, nil},
		{"negative gaps explained", "overfitting", func(in *Input) {},
			[]string{"the smallest was cnn-augment's (-0.40 points). 1 of 10 models ended with validation accuracy above training accuracy"}, nil},
		{"no negative gaps", "overfitting", func(in *Input) {
			h := rowOf(in, "cnn-augment").History
			h[len(h)-1].TrainAccuracy = 0.999
		}, nil, []string{"above training accuracy"}},

		{"overfitting found", "overfitting", func(in *Input) {},
			[]string{"widest gap", "baseline-adam's: 99.50 % train against 97.70 % validation", "Validation loss rose while training loss fell", "baseline-adam (lowest validation loss 0.0787 at epoch 6"},
			[]string{"No model's validation loss rose"}},
		{"no overfitting", "overfitting", func(in *Input) {
			for i := range in.Rows {
				h := in.Rows[i].History
				for j := range h {
					h[j].ValLoss = 1 / float64(j+1) // falls every epoch
				}
			}
		}, []string{"No model's validation loss rose"}, []string{"Validation loss rose"}},

		{"cnn beats mlp", "cnn", func(in *Input) {},
			[]string{"The CNN (cnn) reached 99.21 %, 1.16 points above the best multilayer perceptron (advanced, 98.05 %)"}, nil},
		{"cnn below mlp", "cnn", func(in *Input) { setAcc(in, "cnn", 0.97) },
			[]string{"reached only 97.00 %", "below the best multilayer perceptron"}, []string{"above"}},
		{"cnn level", "cnn", func(in *Input) { setAcc(in, "cnn", 0.9806) },
			[]string{"did not clearly beat"}, nil},

		{"augmentation helped", "augmentation", func(in *Input) {},
			[]string{"raised the CNN from 99.21 % to 99.52 %"}, nil},
		{"augmentation hurt", "augmentation", func(in *Input) { setAcc(in, "cnn-augment", 0.985) },
			[]string{"lowered the CNN from 99.21 % to 98.50 %"}, nil},
		{"augmentation level", "augmentation", func(in *Input) { setAcc(in, "cnn-augment", 0.9922) },
			[]string{"left the CNN level"}, nil},

		{"augmentation confounded", "augmentation", func(in *Input) {
			rowOf(in, "cnn").Config = map[string]any{"augment": false, "schedule": "", "lr": 0.001, "wall_seconds": 300.0}
			rowOf(in, "cnn-augment").Config = map[string]any{"augment": true, "schedule": "one-cycle", "lr": 0.001, "wall_seconds": 342.0}
		}, []string{"The two runs also differ in schedule (cnn-augment: one-cycle, cnn: none), so the difference is not augmentation's alone."}, []string{"wall_seconds", "augment ("}},
		{"augmentation clean", "augmentation", func(in *Input) {
			rowOf(in, "cnn").Config = map[string]any{"augment": false, "schedule": "one-cycle"}
			rowOf(in, "cnn-augment").Config = map[string]any{"augment": true, "schedule": "one-cycle"}
		}, nil, []string{"also differ"}},
		{"optimiser confounded by batch", "optimiser", func(in *Input) {
			rowOf(in, "baseline-adam").Config = map[string]any{"optimizer": "adam", "lr": 0.001, "batch": 128}
			rowOf(in, "baseline-sgd").Config = map[string]any{"optimizer": "sgd", "lr": 0.1, "batch": 32}
		}, []string{"also differ in batch (baseline-adam: 128, baseline-sgd: 32)"}, []string{"lr ("}},

		{"schedule level", "schedule", func(in *Input) {},
			[]string{"cosine schedule and the constant rate ended level", "the schedule was ahead by 0.13 points", "was lower than the constant run's"}, nil},
		{"schedule wins", "schedule", func(in *Input) { setAcc(in, "cnn-cosine", 0.9960) },
			[]string{"The cosine schedule beat the constant rate: 99.60 %"}, nil},
		{"schedule loses", "schedule", func(in *Input) {
			setAcc(in, "cnn-cosine", 0.9880)
			h := rowOf(in, "cnn-cosine").History
			h[len(h)-1].ValLoss = 0.5
		}, []string{"did worse than the constant rate", "was higher than the constant run's"}, nil},

		{"early stopping restored", "early-stopping", func(in *Input) {},
			[]string{"stopped early-stop after epoch 7 of 20, saving 13 epochs", "best epoch was 4", "weights were restored"}, nil},
		{"early stopping not restored", "early-stopping", func(in *Input) { in.EarlyStopping.Restored = false },
			[]string{"not restored: the model in the table is the epoch-7 one"}, nil},
		{"early stopping never triggered", "early-stopping", func(in *Input) {
			in.EarlyStopping.MaxEpochs, in.EarlyStopping.StoppedEpoch = 7, 7
		}, []string{"never triggered", "ran all 7 epochs"}, []string{"saving"}},

		{"early stopping epochs from the history", "early-stopping", func(in *Input) {
			in.EarlyStopping.StoppedEpoch, in.EarlyStopping.BestEpoch, in.EarlyStopping.BestValue = 0, 0, 0
		}, []string{"stopped early-stop after epoch 7 of 20", "the best epoch was 4 (val_loss 0.0792)"}, nil},
		{"early stopping on accuracy", "early-stopping", func(in *Input) {
			in.EarlyStopping.Monitor, in.EarlyStopping.BestEpoch = "val_accuracy", 0
		}, []string{"the best epoch was 7 (val_accuracy 0.9780)"}, nil},

		{"ensembles", "ensembles", func(in *Input) {},
			[]string{"cnns-soft (soft voting over 3 models) reached 99.61 % and beat its best member, cnn-augment (99.52 %), by 0.09 points",
				"all-hard (hard voting over 10 models) reached 99.02 % and fell short of its best member, cnn-augment (99.52 %), by 0.50 points."}, nil},
		{"ensemble falls short", "ensembles", func(in *Input) { in.Ensembles[0].Accuracy = 0.99 },
			[]string{"cnns-soft (soft voting over 3 models) reached 99.00 % and fell short of its best member"}, nil},
		{"ensemble best member computed", "ensembles", func(in *Input) { setAcc(in, "cnn", 0.9970) },
			[]string{"cnns-soft (soft voting over 3 models) reached 99.61 % and fell short of its best member, cnn (99.70 %)"}, nil},

		{"search: lr matters", "search", func(in *Input) {},
			[]string{"Of 16 grid-search trials, the best reached 97.14 %", "lr=0.001", "lr mattered most", "batch mattered least"}, nil},
		{"search: batch matters", "search", func(in *Input) {
			for i := range in.Search.Trials {
				tr := &in.Search.Trials[i]
				tr.ValAccuracy = 0.9
				if tr.Params["batch"] == 32 {
					tr.ValAccuracy = 0.97
				}
			}
		}, []string{"batch mattered most: mean validation accuracy ranged over 7.00 points across its values (best 32, worst 128)"}, []string{"lr mattered most"}},

		{"search: few trials", "search", func(in *Input) { in.Search.Trials = in.Search.Trials[:4] },
			[]string{"With 4 trials for 2 parameters these spreads mostly compare single trials"}, nil},
		{"search: enough trials", "search", func(in *Input) {}, nil, []string{"mostly compare single trials"}},
		{"seed missed in a quick run", "seed", func(in *Input) {
			in.Quick = true
			setAcc(in, "baseline-sgd", 0.85)
		}, []string{"Below it: baseline-sgd", "This was a quick run"}, nil},
		{"seed met in a quick run", "seed", func(in *Input) { in.Quick = true }, nil, []string{"quick run"}},

		{"seed met", "seed", func(in *Input) {},
			[]string{"Every row the seed study reported was met or beaten"}, nil},
		{"seed missed", "seed", func(in *Input) { setAcc(in, "baseline-sgd", 0.85) },
			[]string{"Below it: baseline-sgd (85.00 % against the seed's 91 %)"}, []string{"Every row"}},

		{"hardest digit", "digits", func(in *Input) {},
			[]string{"For cnn-augment the hardest digit was 9: 99.21 % of its 1,009 test images recognised, most often mistaken for 7 (6 times)."}, []string{"most frequent single"}},
		{"hardest digit flips", "digits", func(in *Input) {
			m := rowOf(in, "cnn-augment").Confusion
			m[5][5] -= 20
			m[5][3] += 20
			m[2][2] -= 25
			m[2][8] += 25
		}, []string{"the hardest digit was 5: 97.09 % of its 892 test images recognised, most often mistaken for 3 (24 times).",
			"Its most frequent single confusion was 2 read as 8 (25 times)."}, nil},
		{"no mistakes", "digits", func(in *Input) {
			m := rowOf(in, "cnn-augment").Confusion
			for t := range m {
				for q := range m[t] {
					if q != t {
						m[t][t] += m[t][q]
						m[t][q] = 0
					}
				}
			}
		}, []string{"cnn-augment made no mistakes on the test set."}, nil},

		{"shortest to 99 %", "speed", func(in *Input) {},
			[]string{"The shortest training to 99 % was cnn-cosine's: 305 s for 99.34 %."}, nil},
		{"faster to 99 %", "speed", func(in *Input) { rowOf(in, "cnn").TrainSeconds = 12.5 },
			[]string{"The shortest training to 99 % was cnn's: 12.5 s for 99.21 %."}, nil},
		{"none at 99 %", "speed", func(in *Input) {
			for _, n := range []string{"cnn", "cnn-augment", "cnn-cosine"} {
				setAcc(in, n, 0.985)
			}
		}, []string{"Training took from"}, []string{"99 %"}},

		{"best", "best", func(in *Input) {},
			[]string{"cnn-augment was the most accurate model: 99.52 % test accuracy", "48 errors on 10,000 test images"}, nil},
		{"best named but not top", "best", func(in *Input) { in.Best = "cnn" },
			[]string{"cnn is the model shown in detail below", "the most accurate row was cnn-augment"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fixture()
			tt.edit(in)
			got := findingText(t, in, tt.topic)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("finding %q = %q; want it to contain %q", tt.topic, got, w)
				}
			}
			for _, w := range tt.dontWant {
				if strings.Contains(got, w) {
					t.Errorf("finding %q = %q; want no %q", tt.topic, got, w)
				}
			}
		})
	}
}

// TestAnalysisSkipsMissingRows checks that topics whose rows or sections
// are absent say nothing, rather than something canned.
func TestAnalysisSkipsMissingRows(t *testing.T) {
	in := fixture()
	in.Rows = in.Rows[:1] // only scratch
	in.Best = ""
	in.Mistakes, in.Search, in.Schedule, in.EarlyStopping, in.Ensembles = nil, nil, nil, nil, nil
	in.SeedReported = map[string]string{"scratch": "90+ %"}
	fs, err := Analyze(in)
	if err != nil {
		t.Fatal(err)
	}
	var topics []string
	for _, f := range fs {
		topics = append(topics, f.Topic)
	}
	if got, want := strings.Join(topics, ","), "best,digits,overfitting,seed"; got != want {
		t.Errorf("topics = %s; want %s", got, want)
	}
}

// TestAnalysisWithoutRoles checks that the report compares no rows by
// itself: with Roles empty, the findings about parts of the comparison
// (optimiser, regularisation, CNN, augmentation) are left out, however the
// rows are named.
func TestAnalysisWithoutRoles(t *testing.T) {
	in := fixture()
	in.Roles = Roles{}
	fs, err := Analyze(in)
	if err != nil {
		t.Fatal(err)
	}
	var topics []string
	for _, f := range fs {
		topics = append(topics, f.Topic)
	}
	want := "best,digits,overfitting,schedule,early-stopping,ensembles,search,seed,speed"
	if got := strings.Join(topics, ","); got != want {
		t.Errorf("topics without roles = %s; want %s", got, want)
	}
}

// TestRolesRename checks that the analysis follows renamed rows.
func TestRolesRename(t *testing.T) {
	in := fixture()
	rowOf(in, "baseline-adam").Name = "mlp-adam"
	in.Ensembles = nil
	in.SeedReported["mlp-adam"] = in.SeedReported["baseline-adam"]
	delete(in.SeedReported, "baseline-adam")
	if got := findingText(t, in, "optimiser"); got != "" {
		t.Errorf("optimiser finding without an Adam row = %q; want none", got)
	}
	in.Roles.BaselineAdam = "mlp-adam"
	if got := findingText(t, in, "optimiser"); !strings.Contains(got, "Adam won: mlp-adam reached") {
		t.Errorf("optimiser finding = %q; want it to name mlp-adam", got)
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b      float64
		n         int
		sign      int
		clear     bool
		bandAbove float64
	}{
		{0.98, 0.97, 10000, 1, true, 0.003},
		{0.97, 0.98, 10000, -1, true, 0.003},
		{0.980, 0.979, 10000, 1, false, 0.003},
		{0.98, 0.98, 10000, 0, false, 0.003},
		{0.98, 0.979, 0, 1, true, 0}, // no test-set size: any difference counts
	}
	for _, tt := range tests {
		c := compare(tt.a, tt.n, tt.b, tt.n)
		if c.sign != tt.sign || c.clear != tt.clear || c.band < tt.bandAbove {
			t.Errorf("compare(%v, %v, n=%d) = sign %d clear %v band %v; want sign %d clear %v band >= %v",
				tt.a, tt.b, tt.n, c.sign, c.clear, c.band, tt.sign, tt.clear, tt.bandAbove)
		}
	}
}

func TestSeedNumber(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{{"90+ %", 90, true}, {"91 %", 91, true}, {"97.5%", 97.5, true}, {" 97+ % ", 97, true}, {"n/a", 0, false}, {"", 0, false}}
	for _, tt := range tests {
		got, ok := seedNumber(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("seedNumber(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
