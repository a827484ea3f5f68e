package report

import (
	"strings"
	"testing"
)

// FuzzAnalysisAgreesWithTable sets the accuracies behind the optimiser and
// ensemble findings to arbitrary values and checks that whoever the text
// says is ahead is ahead in the numbers.
func FuzzAnalysisAgreesWithTable(f *testing.F) {
	f.Add(uint16(9778), uint16(9180), uint16(9961))
	f.Add(uint16(9180), uint16(9778), uint16(9000))
	f.Add(uint16(9800), uint16(9800), uint16(9952))
	f.Add(uint16(0), uint16(10000), uint16(0))
	f.Add(uint16(9801), uint16(9799), uint16(9953))
	f.Fuzz(func(t *testing.T, a, s, e uint16) {
		if a > 10000 || s > 10000 || e > 10000 {
			return
		}
		in := fixture()
		adam, sgd, ens := float64(a)/10000, float64(s)/10000, float64(e)/10000
		setAcc(in, "baseline-adam", adam)
		setAcc(in, "baseline-sgd", sgd)
		in.Ensembles[0].Accuracy = ens
		in.Ensembles[0].BestMember = "" // recomputed from the rows
		fs, err := Analyze(in)
		if err != nil {
			t.Fatal(err)
		}
		texts := map[string]string{}
		for _, f := range fs {
			texts[f.Topic] = f.Text
		}
		opt := texts["optimiser"]
		switch {
		case strings.HasPrefix(opt, "Adam won"), strings.Contains(opt, "Adam was ahead"):
			if !(adam > sgd) {
				t.Errorf("adam %v, sgd %v: %q", adam, sgd, opt)
			}
		case strings.HasPrefix(opt, "SGD won"), strings.Contains(opt, "SGD was ahead"):
			if !(sgd > adam) {
				t.Errorf("adam %v, sgd %v: %q", adam, sgd, opt)
			}
		case strings.Contains(opt, "tied exactly"):
			if adam != sgd {
				t.Errorf("adam %v, sgd %v: %q", adam, sgd, opt)
			}
		default:
			t.Errorf("optimiser finding %q names no winner", opt)
		}
		best := 0.0
		for _, m := range in.Ensembles[0].Members {
			best = max(best, rowOf(in, m).TestAccuracy)
		}
		en := strings.SplitAfter(texts["ensembles"], ". ")[0]
		switch {
		case strings.Contains(en, "and beat its best member"):
			if !(ens > best) {
				t.Errorf("ensemble %v, best member %v: %q", ens, best, en)
			}
		case strings.Contains(en, "fell short"):
			if !(ens < best) {
				t.Errorf("ensemble %v, best member %v: %q", ens, best, en)
			}
		case strings.Contains(en, "exactly matching"):
			if ens != best {
				t.Errorf("ensemble %v, best member %v: %q", ens, best, en)
			}
		default:
			t.Errorf("ensemble finding %q gives no verdict", en)
		}
	})
}
